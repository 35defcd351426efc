"""Model and project files can never run code: no module of ottext imports a pickle-based loader,
calls ``torch.load``, or lets ``np.load`` unpickle."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "ottext"
UNSAFE_MODULES = {"pickle", "cPickle", "dill", "cloudpickle", "joblib", "shelve", "marshal"}


def _problems(tree: ast.AST, name: str) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found += [f"{name}:{node.lineno} imports {m}" for m in modules if m.split(".")[0] in UNSAFE_MODULES]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = ast.unparse(node.func.value)
            if node.func.attr == "load" and owner == "torch":
                found.append(f"{name}:{node.lineno} calls torch.load")
            if node.func.attr == "load" and owner in ("np", "numpy"):
                safe = any(k.arg == "allow_pickle" and isinstance(k.value, ast.Constant) and k.value.value is False
                           for k in node.keywords)
                if not safe:
                    found.append(f"{name}:{node.lineno} calls np.load without allow_pickle=False")
    return found


def test_no_module_can_unpickle():
    problems = []
    files = sorted(PACKAGE.rglob("*.py"))
    for path in files:
        problems += _problems(ast.parse(path.read_text(encoding="utf-8")), str(path.relative_to(PACKAGE.parent)))
    assert len(files) > 40 and problems == []


def test_the_scan_finds_what_it_looks_for():
    code = "import pickle\nimport numpy as np\nimport torch\nnp.load('w.npz')\ntorch.load('m.pt')\n" \
           "np.load('ok.npz', allow_pickle=False)\nfrom joblib import load\n"
    assert len(_problems(ast.parse(code), "x.py")) == 4
