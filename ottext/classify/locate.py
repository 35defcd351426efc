"""Where the shipped model lives, and loading it with the default embedder."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ottext.codebook import Codebook

DEFAULT_MODEL_NAME = "ottext-lga-minilm"
REPO_ROOT = Path(__file__).resolve().parents[2]


def default_model_dir() -> Path:
    """``$OTTEXT_MODEL`` if set, else the model shipped in the repository's ``models/``."""
    env = os.environ.get("OTTEXT_MODEL")
    return Path(env) if env else REPO_ROOT / "models" / DEFAULT_MODEL_NAME


MODEL_FILES = ("model.json", "weights.npz")


def model_version(model_dir: Path) -> str:
    """The folder name plus a hash of the model files: what each coding records."""
    h = hashlib.sha256()
    for name in MODEL_FILES:
        h.update((model_dir / name).read_bytes())
    return f"{model_dir.name}-{h.hexdigest()[:12]}"


def default_corpus_dir() -> Path:
    return REPO_ROOT / "corpora" / "training"


def load_default(codebook: Codebook, model_dir: Path | None = None, embedder=None):
    """Load a model folder with the MiniLM embedder (or the one given)."""
    from ottext.classify.persist import load_model
    from ottext.embed import MiniLMEmbedder

    return load_model(model_dir or default_model_dir(), codebook, embedder or MiniLMEmbedder())
