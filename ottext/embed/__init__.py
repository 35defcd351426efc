"""Embedding: one contract (``Embedder``), the bundled MiniLM backend, and a vector cache."""

from ottext.embed._base import CachedEmbedder, Embedder, text_hash
from ottext.embed.minilm import MiniLMEmbedder

BACKENDS = {"minilm": MiniLMEmbedder}


def get_embedder(name: str = "minilm") -> Embedder:
    """An embedder by backend name."""
    if name not in BACKENDS:
        raise ValueError(f"unknown embedding backend {name!r} (known: {', '.join(BACKENDS)})")
    return BACKENDS[name]()


__all__ = ["BACKENDS", "CachedEmbedder", "Embedder", "MiniLMEmbedder", "get_embedder", "text_hash"]
