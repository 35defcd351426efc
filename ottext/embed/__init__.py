"""Embedding: one contract (``Embedder``), the bundled MiniLM backend, and a vector cache."""

from ottext.embed._base import CachedEmbedder, Embedder, embed_texts, text_hash
from ottext.embed.minilm import MiniLMEmbedder
from ottext.embed.static import StaticEmbedder

BACKENDS = {"minilm": MiniLMEmbedder, "static": StaticEmbedder}


def get_embedder(name: str = "minilm") -> Embedder:
    """An embedder by backend name."""
    if name not in BACKENDS:
        raise ValueError(f"unknown embedding backend {name!r} (known: {', '.join(BACKENDS)})")
    return BACKENDS[name]()


def project_embedder(store) -> CachedEmbedder:
    """The embedder a project was run with (recorded in its store), cached in that store."""
    return CachedEmbedder(get_embedder(store.get_meta("embedding_backend") or "minilm"), store)


__all__ = ["BACKENDS", "CachedEmbedder", "Embedder", "MiniLMEmbedder", "StaticEmbedder", "embed_texts",
           "get_embedder", "project_embedder", "text_hash"]
