"""How likely a passage's whole set of codes is right, and the review effort an ordering needs.

A passage's codes are all right when every code's decision is: the code applies and was given,
or does not and was not. With calibrated per-code scores ``p`` and decisions ``d``, the chance is
the product over codes of ``p`` (given) or ``1 - p`` (not given). Passages with the lowest chance
go first in the review queue: a coder's hour goes where the model is most likely wrong.
"""

from __future__ import annotations

import numpy as np


def codes_right_probability(proba: np.ndarray, decided: np.ndarray) -> np.ndarray:
    """Per passage, the chance that every code's decision is right (independent codes)."""
    proba = np.clip(np.asarray(proba, dtype=np.float64), 0.0, 1.0)
    right = np.where(np.asarray(decided, dtype=bool), proba, 1.0 - proba)
    return np.exp(np.log(np.clip(right, 1e-12, 1.0)).sum(axis=1))


def review_order(proba: np.ndarray, decided: np.ndarray) -> np.ndarray:
    """Passage indices, most likely wrong first (ties keep their order)."""
    return np.argsort(codes_right_probability(proba, decided), kind="stable")


def expected_gain(proba: np.ndarray, decided: np.ndarray) -> np.ndarray:
    """Per passage, the expected rise in the project's macro-F1 if a coder corrects its codes,
    estimated from the scores alone (no gold): each code's chance of being wrong there, times what
    fixing one such error adds to that code's F1. The F1 of code j is 2TP / D with D = 2TP + FP + FN;
    fixing a false positive adds about F1 / D, a missed code about (2 - F1) / D, where TP, and D as
    the expected count of the code plus the count given, are summed over the project. Errors on a
    rare code weigh more, because macro-F1 weighs every code alike."""
    proba = np.clip(np.asarray(proba, dtype=np.float64), 0.0, 1.0)
    given = np.asarray(decided, dtype=bool)
    size = proba.sum(axis=0) + given.sum(axis=0)  # expected 2TP + FP + FN per code
    f1 = np.where(size > 0, 2 * (proba * given).sum(axis=0) / np.maximum(size, 1e-12), 0.0)
    fix = np.where(given, (1.0 - proba) * f1, proba * (2.0 - f1)) / np.maximum(size, 1.0)
    return fix.sum(axis=1) / proba.shape[1]


def gain_order(proba: np.ndarray, decided: np.ndarray) -> np.ndarray:
    """Passage indices, largest expected gain in macro-F1 first (ties keep their order)."""
    return np.argsort(-expected_gain(proba, decided), kind="stable")


def margin_order(proba: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """The older ordering, for comparison: smallest distance of any score to its threshold first."""
    return np.argsort(np.abs(np.asarray(proba) - np.asarray(thresholds)).min(axis=1), kind="stable")


def macro_f1(truth: np.ndarray, pred: np.ndarray) -> float:
    """Mean F1 over the codes the truth holds (as ``metrics.agreement``, without its intervals)."""
    tp = (truth & pred).sum(axis=0)
    denom = truth.sum(axis=0) + pred.sum(axis=0)
    used = truth.sum(axis=0) > 0
    return float((2 * tp[used] / denom[used]).mean()) if used.any() else 1.0


def review_effort(truth: np.ndarray, decided: np.ndarray, order: np.ndarray,
                  target: float = 0.80) -> tuple[float, list[tuple[float, float]]]:
    """The smallest share of passages a coder must correct, in ``order``, for the whole set to
    reach macro-F1 ``target`` against ``truth`` (the model's codes stand for the rest), and the
    curve of (share reviewed, macro-F1) at every passage."""
    truth = np.asarray(truth, dtype=bool)
    current = np.asarray(decided, dtype=bool).copy()
    n = len(truth)
    curve = [(0.0, macro_f1(truth, current))]
    for k, i in enumerate(order, start=1):
        current[i] = truth[i]
        curve.append((k / n, macro_f1(truth, current)))
    effort = next((share for share, f1 in curve if f1 >= target - 1e-12), 1.0)
    return effort, curve


def calibration_of_sets(truth: np.ndarray, decided: np.ndarray, chance: np.ndarray, bins: int = 5) -> dict:
    """Whether the chance means what it says: the share of passages whose codes were all right,
    per bin of the estimated chance, and the expected calibration error."""
    right = (np.asarray(truth, dtype=int) == np.asarray(decided, dtype=int)).all(axis=1)
    edges = np.linspace(0, 1, bins + 1)
    rows, ece = [], 0.0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        inside = (chance >= lo) & ((chance < hi) | (hi == 1.0))
        if inside.any():
            rows.append({"from": round(float(lo), 2), "to": round(float(hi), 2), "n": int(inside.sum()),
                         "estimated": round(float(chance[inside].mean()), 3),
                         "observed": round(float(right[inside].mean()), 3)})
            ece += inside.mean() * abs(chance[inside].mean() - right[inside].mean())
    return {"bins": rows, "ece": round(float(ece), 4), "all_right": round(float(right.mean()), 3)}
