"""Agreement metrics for multi-label coding: per-code precision, recall, F1, support and Cohen's
kappa; micro and macro F1; Krippendorff's alpha over every (passage, code) decision."""

from __future__ import annotations

import warnings

import krippendorff
import numpy as np
from sklearn.metrics import cohen_kappa_score, f1_score, precision_recall_fscore_support


def _kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's kappa; 1.0 when both raters agree perfectly on a constant column."""
    if np.array_equal(a, b):
        return 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        k = cohen_kappa_score(a, b)
    return float(0.0 if np.isnan(k) else k)


def agreement(y_true: np.ndarray, y_pred: np.ndarray, codes: list[str]) -> dict:
    """All scores as a JSON-ready dict (codes with no positives in either are listed but
    left out of the macro averages)."""
    y_true = np.asarray(y_true, dtype=int)
    y_pred = np.asarray(y_pred, dtype=int)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, average=None, zero_division=0,
                                                 labels=list(range(len(codes))))
    per_code = {}
    scored = []
    for j, code in enumerate(codes):
        active = bool(y_true[:, j].any() or y_pred[:, j].any())
        per_code[code] = {"precision": float(p[j]), "recall": float(r[j]), "f1": float(f[j]),
                          "support": int(s[j]), "predicted": int(y_pred[:, j].sum()),
                          "kappa": _kappa(y_true[:, j], y_pred[:, j]), "scored": active and s[j] > 0}
        if per_code[code]["scored"]:
            scored.append(j)
    reliability = np.vstack([y_true.ravel(), y_pred.ravel()]).astype(float)
    if len(np.unique(reliability)) > 1:
        alpha = float(krippendorff.alpha(reliability_data=reliability, level_of_measurement="nominal"))
    else:
        alpha = 1.0
    return {
        "n": int(len(y_true)),
        "per_code": per_code,
        "micro_f1": float(f1_score(y_true, y_pred, average="micro", zero_division=0)),
        "macro_f1": float(np.mean([f[j] for j in scored])) if scored else 0.0,
        "mean_kappa": float(np.mean([per_code[codes[j]]["kappa"] for j in scored])) if scored else 0.0,
        "krippendorff_alpha": alpha,
        "codes_scored": [codes[j] for j in scored],
    }


def format_table(scores: dict, title: str = "") -> str:
    """A plain-text table of the scores."""
    lines = [title] if title else []
    lines.append(f"{'code':<22}{'prec':>6}{'rec':>6}{'F1':>6}{'kappa':>7}{'supp':>6}{'pred':>6}")
    for code, m in scores["per_code"].items():
        mark = "" if m["scored"] else "  (no support)"
        lines.append(f"{code:<22}{m['precision']:6.2f}{m['recall']:6.2f}{m['f1']:6.2f}{m['kappa']:7.2f}"
                     f"{m['support']:6d}{m['predicted']:6d}{mark}")
    lines.append(f"micro-F1 {scores['micro_f1']:.3f}  macro-F1 {scores['macro_f1']:.3f}  "
                 f"mean kappa {scores['mean_kappa']:.3f}  Krippendorff alpha {scores['krippendorff_alpha']:.3f}"
                 f"  (n={scores['n']})")
    return "\n".join(lines)
