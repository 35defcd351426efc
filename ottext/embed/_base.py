"""The embedder contract: ``id``, ``dim`` and ``embed(texts) -> float32 array`` (one unit-length
row per text). Anything with these three can stand in, so tests pass a fake and users another
model; the cache keys vectors by ``(embedder id, text hash)``. An embedder whose ``embed`` also
takes ``on_batch`` tells it how many texts each batch embedded (``embed_texts`` calls either kind)."""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable
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


def embed_texts(embedder: Embedder, texts: list[str], on_batch: Callable[[int], None] | None = None) -> np.ndarray:
    """``embedder.embed(texts)``, telling ``on_batch`` how many texts each batch embedded: per batch
    where the embedder takes ``on_batch``, else once, when all are done."""
    if on_batch is None:
        return embedder.embed(texts)
    if _takes_on_batch(embedder):
        return embedder.embed(texts, on_batch=on_batch)
    out = embedder.embed(texts)
    on_batch(len(texts))
    return out


def _takes_on_batch(embedder: Embedder) -> bool:
    try:
        return "on_batch" in inspect.signature(embedder.embed).parameters
    except (TypeError, ValueError):  # a builtin or C-implemented embed
        return False


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

    def uncached(self, texts: list[str]) -> int:
        """How many distinct ``texts`` have no vector in the cache yet (what embedding them costs)."""
        hashes = sorted({text_hash(t) for t in texts})
        return len(hashes) - len(self.cache.get_vectors(self.id, hashes, self.dim))

    def embed(self, texts: list[str], on_batch: Callable[[int], None] | None = None) -> np.ndarray:
        """Vectors for ``texts``; ``on_batch`` hears of the texts embedded (not those from the cache)."""
        hashes = [text_hash(t) for t in texts]
        found = self.cache.get_vectors(self.id, sorted(set(hashes)), self.dim)
        missing = sorted({h: t for h, t in zip(hashes, texts, strict=True) if h not in found}.items())
        if missing:
            import time

            started = time.perf_counter()
            vectors = embed_texts(self.embedder, [t for _, t in missing], on_batch)
            self.seconds_ += time.perf_counter() - started
            new = {h: vectors[i] for i, (h, _) in enumerate(missing)}
            self.cache.put_vectors(self.id, new)
            found.update(new)
            self.embedded_ += len(missing)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, h in enumerate(hashes):
            out[i] = found[h]
        return out
