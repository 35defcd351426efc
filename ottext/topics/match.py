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


def fit_scores(embeddings: np.ndarray, centroids: np.ndarray, topics: np.ndarray) -> np.ndarray:
    """How well each passage fits its topic: its cosine to the topic's centroid plus its margin
    over the nearest other centroid (a passage as near another topic scores low), so the best
    examples of a topic are both central to it and clearly in it."""
    if not len(embeddings):
        return np.zeros(0)
    sims = embeddings @ centroids.T
    rows = np.arange(len(topics))
    own = sims[rows, topics]
    if centroids.shape[0] < 2:
        return own
    sims[rows, topics] = -np.inf
    return 2 * own - sims.max(axis=1)


def match_topics(old: np.ndarray, new: np.ndarray, min_similarity: float = 0.8) -> dict[int, int]:
    """Map new topic index -> old topic index where centroids match one-to-one (Hungarian)."""
    from scipy.optimize import linear_sum_assignment

    if not len(old) or not len(new):
        return {}
    sims = new @ old.T
    rows, cols = linear_sum_assignment(-sims)
    return {int(r): int(c) for r, c in zip(rows, cols, strict=True) if sims[r, c] >= min_similarity}
