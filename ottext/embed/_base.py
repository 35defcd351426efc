"""The embedder contract: ``id``, ``dim`` and ``embed(texts) -> float32 array`` (one unit-length
row per text). Anything with these three can stand in, so tests pass a fake and users another
model; the cache keys vectors by ``(embedder id, text hash)``."""

from __future__ import annotations

import hashlib
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Embedder(Protocol):
    """What ottext needs of an embedding model."""

    id: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text (an empty text gets a zero row)."""
        ...


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class VectorCache(Protocol):
    """Where cached vectors live (the project store implements this)."""

    def get_vectors(self, embedder_id: str, hashes: list[str], dim: int) -> dict[str, np.ndarray]: ...

    def put_vectors(self, embedder_id: str, items: dict[str, np.ndarray]) -> None: ...


class CachedEmbedder:
    """An embedder whose vectors are looked up in a cache first; only new texts are embedded."""

    def __init__(self, embedder: Embedder, cache: VectorCache) -> None:
        self.embedder = embedder
        self.cache = cache
        self.id = embedder.id
        self.dim = embedder.dim
        self.embedded_ = 0
        self.seconds_ = 0.0

    def embed(self, texts: list[str]) -> np.ndarray:
        hashes = [text_hash(t) for t in texts]
        found = self.cache.get_vectors(self.id, sorted(set(hashes)), self.dim)
        missing = sorted({h: t for h, t in zip(hashes, texts, strict=True) if h not in found}.items())
        if missing:
            import time

            started = time.perf_counter()
            vectors = self.embedder.embed([t for _, t in missing])
            self.seconds_ += time.perf_counter() - started
            new = {h: vectors[i] for i, (h, _) in enumerate(missing)}
            self.cache.put_vectors(self.id, new)
            found.update(new)
            self.embedded_ += len(missing)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, h in enumerate(hashes):
            out[i] = found[h]
        return out
