"""spaCy, imported without PyTorch.

On import, thinc (spaCy's machine-learning library) imports PyTorch if it is installed, only to
offer PyTorch layers; ottext's cleaning pipelines (``en_core_web_sm``, the blank pipeline) never use
them, and importing PyTorch took about 1.2 s of every run that cleans anything on this machine
(most of a small re-run with the static backend). If PyTorch is not loaded yet, spaCy is imported
with ``import torch`` failing for that moment; PyTorch itself imports normally afterwards (the
MiniLM embedder does).
"""

from __future__ import annotations

import sys


def import_spacy_without_torch() -> None:
    """Import spaCy (once) so that thinc does not load PyTorch."""
    if "spacy" in sys.modules or "torch" in sys.modules:
        return
    sys.modules["torch"] = None  # type: ignore[assignment]  # `import torch` raises ImportError
    try:
        import spacy  # noqa: F401
    finally:
        if "torch" in sys.modules and sys.modules["torch"] is None:
            del sys.modules["torch"]
