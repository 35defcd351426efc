"""Embedding: one contract (``Embedder``), the bundled MiniLM backend, and a vector cache."""

from ottext.embed._base import CachedEmbedder, Embedder, embed_texts, text_hash
from ottext.embed.minilm import RUNTIME_META, MiniLMEmbedder, default_runtime
from ottext.embed.static import StaticEmbedder

BACKENDS = {"minilm": MiniLMEmbedder, "static": StaticEmbedder}


def get_embedder(name: str = "minilm", runtime: str | None = None) -> Embedder:
    """An embedder by backend name; ``runtime`` says how MiniLM runs (``torch`` unless told)."""
    if name not in BACKENDS:
        raise ValueError(f"unknown embedding backend {name!r} (known: {', '.join(BACKENDS)})")
    return MiniLMEmbedder(runtime=runtime or "torch") if name == "minilm" else BACKENDS[name]()


def project_runtime(store) -> str:
    """The MiniLM runtime a project's vectors came from: recorded in its store, else ``torch``
    (projects made before the runtime was recorded were all embedded by torch)."""
    return store.get_meta(RUNTIME_META) or "torch"


def project_embedder(store, backend: str | None = None) -> CachedEmbedder:
    """The embedder a project was run with (backend and runtime recorded in its store), cached in that store."""
    return CachedEmbedder(get_embedder(backend or store.get_meta("embedding_backend") or "minilm",
                                       project_runtime(store)), store)


__all__ = ["BACKENDS", "RUNTIME_META", "CachedEmbedder", "Embedder", "MiniLMEmbedder", "StaticEmbedder",
           "default_runtime", "embed_texts", "get_embedder", "project_embedder", "project_runtime", "text_hash"]
