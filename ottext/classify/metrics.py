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
        "interval_95": bootstrap_intervals(y_true, y_pred),
    }


def _per_code_scores(tp, fp, fn, tn) -> tuple[np.ndarray, np.ndarray]:
    """F1 and Cohen's kappa per code from confusion counts (arrays of any shape, last axis codes)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
        n = tp + fp + fn + tn
        po = (tp + tn) / n
        pe = ((tp + fp) * (tp + fn) + (tn + fn) * (tn + fp)) / n**2
        kappa = np.where(fp + fn == 0, 1.0, np.where(pe < 1, (po - pe) / (1 - pe), 0.0))
    return f1, kappa


def _draws(y_true: np.ndarray, y_pred: np.ndarray, weights: np.ndarray) -> dict[str, np.ndarray]:
    """Micro-F1, macro-F1 and mean kappa of every resample (macro over codes with support in it,
    as ``agreement`` does)."""
    y_true, y_pred = np.asarray(y_true, dtype=bool), np.asarray(y_pred, dtype=bool)
    tp, fp = weights @ (y_true & y_pred), weights @ (~y_true & y_pred)
    fn, tn = weights @ (y_true & ~y_pred), weights @ (~y_true & ~y_pred)
    f1, kappa = _per_code_scores(tp, fp, fn, tn)
    scored = tp + fn > 0
    count = np.maximum(scored.sum(axis=1), 1)
    micro_denominator = 2 * tp.sum(axis=1) + fp.sum(axis=1) + fn.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        micro = np.where(micro_denominator > 0, 2 * tp.sum(axis=1) / micro_denominator, 0.0)
    return {"micro_f1": micro, "macro_f1": (f1 * scored).sum(axis=1) / count,
            "mean_kappa": (kappa * scored).sum(axis=1) / count}


def _interval(values: np.ndarray) -> list[float]:
    return [round(float(q), 4) for q in np.percentile(values, [2.5, 97.5])]


BOOTSTRAP_MAX_PASSAGES = 100_000  # beyond this an interval is narrower than the scores' rounding
_BOOTSTRAP_CELLS = 4_000_000  # resamples x passages drawn at a time (bounds the memory used)


def _bootstrap(y_true: np.ndarray, predictions: list[np.ndarray], resamples: int, seed: int) -> list[dict]:
    """Draws of every prediction's scores on the same resamples of passages (fixed seed), the
    resamples drawn a chunk at a time."""
    n = len(y_true)
    rng = np.random.default_rng(seed)
    chunk = max(1, min(resamples, _BOOTSTRAP_CELLS // n))
    parts: list[list[dict]] = [[] for _ in predictions]
    for done in range(0, resamples, chunk):
        weights = rng.multinomial(n, np.full(n, 1.0 / n), size=min(chunk, resamples - done)).astype(float)
        for part, y_pred in zip(parts, predictions, strict=True):
            part.append(_draws(y_true, y_pred, weights))
    return [{k: np.concatenate([d[k] for d in part]) for k in part[0]} for part in parts]


def bootstrap_intervals(y_true: np.ndarray, y_pred: np.ndarray, resamples: int = 2000,
                        seed: int = 0) -> dict[str, list[float]]:
    """95% percentile-bootstrap intervals of micro-F1, macro-F1 and mean kappa, resampling passages
    (fixed seed, so the same files give the same interval). A small gold set gives a wide interval:
    it says how far a score on it can be trusted. Empty beyond ``BOOTSTRAP_MAX_PASSAGES``."""
    if not 0 < len(y_true) <= BOOTSTRAP_MAX_PASSAGES:
        return {}
    (draws,) = _bootstrap(y_true, [y_pred], resamples, seed)
    return {k: _interval(v) for k, v in draws.items()}


def paired_difference(y_true: np.ndarray, y_a: np.ndarray, y_b: np.ndarray, resamples: int = 2000,
                      seed: int = 0) -> dict[str, list[float]]:
    """95% bootstrap intervals of (A minus B) for micro-F1, macro-F1 and mean kappa, both coders
    scored on the same resamples; an interval above zero means A beats B on this set."""
    if not 0 < len(y_true) <= BOOTSTRAP_MAX_PASSAGES:
        return {}
    a, b = _bootstrap(y_true, [y_a, y_b], resamples, seed)
    return {k: _interval(a[k] - b[k]) for k in a}


def calibration(y_true: np.ndarray, proba: np.ndarray, bins: int = 10) -> dict:
    """How far the scores can be taken as probabilities, over every (passage, code) pair: the Brier
    score, the expected calibration error (equal-width bins, weighted by their size) and the bins
    themselves (mean score, share that were truly coded, count)."""
    y = np.asarray(y_true, dtype=float).ravel()
    p = np.clip(np.asarray(proba, dtype=float).ravel(), 0.0, 1.0)
    if not len(y):
        return {}
    which = np.minimum((p * bins).astype(int), bins - 1)
    table, ece = [], 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            mean, share = float(p[inside].mean()), float(y[inside].mean())
            ece += inside.sum() / len(y) * abs(mean - share)
            table.append([round(mean, 4), round(share, 4), int(inside.sum())])
    return {"brier": round(float(np.mean((p - y) ** 2)), 4), "ece": round(float(ece), 4), "bins": table}


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
    cal = scores.get("calibration")
    if cal:
        lines.append(f"calibration over every (passage, code) score: Brier {cal['brier']:.3f}, expected calibration "
                     f"error {cal['ece']:.3f} ({len(cal['bins'])} bins in use)")
    ci = scores.get("interval_95")
    if ci:
        lines.append("95% bootstrap interval (passages resampled): " + "  ".join(
            f"{label} {ci[key][0]:.2f}-{ci[key][1]:.2f}" for key, label in
            (("micro_f1", "micro-F1"), ("macro_f1", "macro-F1"), ("mean_kappa", "mean kappa"))))
    return "\n".join(lines)
