"""Assigning passages to topic centroids and matching topics across refits (numpy only, so a
re-run with nothing new never imports BERTopic)."""

from __future__ import annotations

import numpy as np


def assign(embeddings: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest topic centroid (cosine) for each passage: (index into centroids, similarity)."""
    if not len(embeddings):
        return np.zeros(0, dtype=int), np.zeros(0)
    sims = embeddings @ centroids.T
    best = sims.argmax(axis=1)
    return best, sims[np.arange(len(best)), best]


def match_topics(old: np.ndarray, new: np.ndarray, min_similarity: float = 0.8) -> dict[int, int]:
    """Map new topic index -> old topic index where centroids match one-to-one (Hungarian)."""
    from scipy.optimize import linear_sum_assignment

    if not len(old) or not len(new):
        return {}
    sims = new @ old.T
    rows, cols = linear_sum_assignment(-sims)
    return {int(r): int(c) for r, c in zip(rows, cols, strict=True) if sims[r, c] >= min_similarity}
