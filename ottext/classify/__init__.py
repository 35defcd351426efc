"""Classification: the trained multi-label coder (``model``), its features, training (``train``),
evaluation (``metrics``), persistence (``persist``) and use (``coder``). Submodules are imported
where needed, so a re-run with nothing to code never loads scikit-learn."""
