"""Where the shipped model lives, and loading it with the default embedder."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ottext.codebook import Codebook

DEFAULT_MODEL_NAME = "ottext-lga-minilm"
MODEL_NAMES = {"minilm": DEFAULT_MODEL_NAME, "static": "ottext-lga-static"}
REPO_ROOT = Path(__file__).resolve().parents[2]


def default_model_dir(backend: str = "minilm") -> Path:
    """``$OTTEXT_MODEL`` if set, else the model shipped in ``models/`` for the embedding backend."""
    env = os.environ.get("OTTEXT_MODEL")
    return Path(env) if env else REPO_ROOT / "models" / MODEL_NAMES[backend]


MODEL_FILES = ("model.json", "weights.npz")
READER_FILES = ("reader.json", "reader.safetensors")  # only in a model with a fine-tuned reader


def model_files(model_dir: Path) -> tuple[str, ...]:
    """The files a model folder's version and checksums cover: the reader's too when it has one."""
    return MODEL_FILES + tuple(n for n in READER_FILES if (model_dir / n).exists())


def model_version(model_dir: Path) -> str:
    """The folder name plus a hash of the model files: what each coding records."""
    h = hashlib.sha256()
    for name in model_files(model_dir):
        h.update((model_dir / name).read_bytes())
    return f"{model_dir.name}-{h.hexdigest()[:12]}"


def default_corpus_dir() -> Path:
    return REPO_ROOT / "corpora" / "training"


def load_default(codebook: Codebook, model_dir: Path | None = None, embedder=None, backend: str = "minilm"):
    """Load a model folder with the backend's embedder (or the one given)."""
    from ottext.classify.persist import load_model
    from ottext.embed import get_embedder

    return load_model(model_dir or default_model_dir(backend), codebook, embedder or get_embedder(backend))
