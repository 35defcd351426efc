"""Coder level: how blind second coders score against a gold set, so a model's score reads against it.

`corpora/second_coder/` holds independent codings of the development sets (``id`` and ``codes``
per line). A coder counts for a gold file only when it coded every passage of it; otherwise the
comparison would be on different passages and would mislead.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ottext.classify.data import Labelled, label_matrix
from ottext.classify.locate import REPO_ROOT
from ottext.classify.metrics import agreement
from ottext.codebook import Codebook

SECOND_CODER_DIR = REPO_ROOT / "corpora" / "second_coder"


def _codings(path: Path) -> dict[str, list[str]]:
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {str(r["id"]): list(r.get("codes", [])) for r in rows}


def second_coder_scores(items: list[Labelled], codebook: Codebook,
                        folder: Path | None = None) -> dict[str, dict]:
    """``{"second coder A": agreement, ...}`` for every coder who coded all of ``items``."""
    folder = SECOND_CODER_DIR if folder is None else Path(folder)
    if not items or not folder.is_dir():
        return {}
    truth = label_matrix(items, codebook)
    out = {}
    for path in sorted(folder.glob("coder_*.jsonl")):
        try:
            codings = _codings(path)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue  # an unreadable coder file says nothing about coder level
        if not all(i.id in codings for i in items):
            continue
        rows = [Labelled(i.id, i.text, codes=codebook.roll_up([c for c in codings[i.id] if c in codebook]))
                for i in items]
        name = "second coder " + path.stem.removeprefix("coder_").upper()
        out[name] = agreement(truth, label_matrix(rows, codebook), codebook.ids)
    return out


def coder_level_line(scores: dict[str, dict]) -> str:
    """One line: each coder's macro-F1 and mean kappa, and their mean."""
    if not scores:
        return ""
    parts = [f"{n} macro-F1 {s['macro_f1']:.3f}, kappa {s['mean_kappa']:.3f}" for n, s in scores.items()]
    mean_f1 = float(np.mean([s["macro_f1"] for s in scores.values()]))
    mean_k = float(np.mean([s["mean_kappa"] for s in scores.values()]))
    return (f"coder level on these passages (blind second coders): {'; '.join(parts)}; "
            f"mean {mean_f1:.3f} / {mean_k:.3f}")
