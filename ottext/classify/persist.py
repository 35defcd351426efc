"""Saving and loading a classifier in safe formats: ``model.json`` (everything but arrays),
``weights.npz`` (arrays, loaded with ``allow_pickle=False``) and ``model_card.md`` (for people,
with the sha256 of both files, checked on every load). Nothing is ever unpickled."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np

from ottext.classify.features import FeatureBuilder
from ottext.classify.locate import MODEL_FILES as FILES
from ottext.classify.locate import READER_FILES, model_files, model_version
from ottext.classify.model import CodeClassifier
from ottext.classify.reader import FULL_DEPTH
from ottext.classify.validate import check_codes, check_file_sizes, check_meta, read_weights
from ottext.codebook import Codebook
from ottext.errors import Errors, OttextError

FORMAT = "ottext-classifier/1"
CHECKSUM_RE = re.compile(r"^\|\s*`(?P<name>[\w.]+)`\s*\|\s*`(?P<sha>[0-9a-f]{64})`\s*\|", re.M)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def code_fingerprints(codebook: Codebook) -> dict[str, str]:
    """A short hash of each code's definition, to name exactly which codes differ."""
    out = {}
    for code in codebook.to_dict()["codes"]:
        blob = json.dumps(code, sort_keys=True, ensure_ascii=False).encode("utf-8")
        out[code["id"]] = hashlib.sha256(blob).hexdigest()[:12]
    return out


def save_model(clf: CodeClassifier, out_dir: str | Path, info: dict, card: str) -> str:
    """Write the model folder; returns the model version (name plus a content hash)."""
    clf._check_fitted()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    features_meta, feature_arrays = clf.features_.to_state()
    meta = {
        "format": FORMAT,
        "codes": clf.classes_,
        "codebook_hash": clf.codebook.hash,
        "code_fingerprints": code_fingerprints(clf.codebook),
        "parents": {c.id: c.parent for c in clf.codebook.codes if c.parent},
        "embedder": clf.embedder.id if clf.embedder is not None else info.get("embedder"),
        "params": {"C": clf.C, "cv": clf.cv, "random_state": clf.random_state,
                   "lexical_weight": clf.lexical_weight, "context_weight": clf.context_weight,
                   "embedding_weight": clf.embedding_weight,
                   "context_embedding_weight": clf.context_embedding_weight,
                   "code_similarity_weight": clf.code_similarity_weight,
                   **({"reader_weight": clf.reader_weight, "reader_epochs": clf.reader_epochs,
                       "reader_folds": clf.reader_folds} if clf.reader_weight > 0 else {}),
                   **({"reader_soft": clf.reader_soft} if clf.reader_weight > 0 and clf.reader_soft > 0 else {}),
                   **({"reader_layers": clf.reader_layers} if clf.reader_weight > 0 and clf.reader_layers != FULL_DEPTH
                      else {})},
        "thresholds": {c: float(t) for c, t in zip(clf.classes_, clf.thresholds_, strict=True)},
        "platt": {c: [float(a), float(b)] for c, (a, b) in zip(clf.classes_, clf.platt_, strict=True)},
        "features": features_meta,
        "train_ids": info.get("train_ids", []),
        "train_texts": info.get("train_texts", []),
        "info": {k: v for k, v in info.items() if k not in ("train_ids", "train_texts")},
    }
    (out / "model.json").write_text(json.dumps(meta, ensure_ascii=False, sort_keys=True, indent=1) + "\n",
                                    encoding="utf-8")
    arrays = {"coef": clf.coef_.astype(np.float64), "intercept": clf.intercept_.astype(np.float64),
              "train_embeddings": clf.train_embeddings_, "train_labels": clf.train_labels_.astype(np.int8),
              **feature_arrays}
    with open(out / "weights.npz", "wb") as fh:
        np.savez_compressed(fh, **arrays)
    for name in READER_FILES:
        (out / name).unlink(missing_ok=True)
    if clf.reader_weight > 0:
        clf.reader_.save(out)
    version = model_version(out)
    sums = "\n".join(f"| `{name}` | `{sha256_file(out / name)}` |" for name in model_files(out))
    text = card.replace("{{VERSION}}", version).replace("{{CHECKSUMS}}", "| file | sha256 |\n|---|---|\n" + sums)
    (out / "model_card.md").write_text(text, encoding="utf-8")
    return version


def verify_checksums(model_dir: Path) -> None:
    """Every model file must match the sha256 its card records."""
    card = model_dir / "model_card.md"
    if not card.is_file():
        raise OttextError(Errors.E405, file=model_dir, detail="no model_card.md")
    recorded = {m["name"]: m["sha"] for m in CHECKSUM_RE.finditer(card.read_text(encoding="utf-8"))}
    for name in FILES + tuple(n for n in READER_FILES if n in recorded or (model_dir / n).exists()):
        path = model_dir / name
        if not path.is_file():
            raise OttextError(Errors.E405, file=model_dir, detail=f"no {name}")
        check_file_sizes(model_dir, (name,))
        if recorded.get(name) != sha256_file(path):
            raise OttextError(Errors.E406, file=model_dir, name=name)


def _own_embedder(model_dir: Path, wanted: str, given):
    """The embedder a model's features were trained on, when the run's is another backend: a model
    owns its features (the shipped MiniLM model reads with its fine-tuned MiniLM and builds its
    linear features from the fast static backend), so it gets the backend whose id it recorded."""
    from ottext.embed import BACKENDS

    for make in BACKENDS.values():
        candidate = make()
        if candidate.id == wanted:
            return candidate
    raise OttextError(Errors.E407, file=model_dir, model_embedder=wanted, embedder=given.id)


def load_model(model_dir: str | Path, codebook: Codebook, embedder=None,
               reader: bool = True) -> tuple[CodeClassifier, dict]:
    """Load a model folder for ``codebook``; refuses tampered files and other codebooks.

    Every field and array is checked (``ottext.classify.validate``) before any of it is used, so a
    folder edited with its card rewritten to match is refused with one line, not a crash later.
    With ``reader`` off, a fine-tuned reader (the slow part to load) waits for ``load_reader``."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise OttextError(Errors.E405, file=model_dir, detail="no such folder")
    verify_checksums(model_dir)
    try:
        meta = json.loads((model_dir / "model.json").read_text(encoding="utf-8"))
    except (ValueError, OSError, RecursionError) as exc:
        raise OttextError(Errors.E405, file=model_dir, detail=f"model.json: {type(exc).__name__}") from None
    if not isinstance(meta, dict):
        raise OttextError(Errors.E405, file=model_dir, detail="model.json is not a JSON object")
    if meta.get("format") != FORMAT:
        raise OttextError(Errors.E405, file=model_dir, detail=f"format {meta.get('format')!r}")
    check_meta(model_dir, meta)
    _check_codebook(model_dir, meta, codebook)
    check_codes(model_dir, meta, codebook.ids)
    if embedder is not None and meta["embedder"] and embedder.id != meta["embedder"]:
        embedder = _own_embedder(model_dir, meta["embedder"], embedder)
    arrays = read_weights(model_dir, meta, getattr(embedder, "dim", None))
    try:
        clf = CodeClassifier(codebook, embedder=embedder, **meta["params"])
        clf.classes_ = list(meta["codes"])
        clf.features_ = FeatureBuilder.from_state(meta["features"], arrays)
        clf.coef_, clf.intercept_ = arrays["coef"], arrays["intercept"]
        clf.thresholds_ = np.array([meta["thresholds"][c] for c in clf.classes_])
        clf.platt_ = np.array([meta["platt"][c] for c in clf.classes_])
        clf.train_embeddings_ = arrays["train_embeddings"]
        clf.train_labels_ = arrays["train_labels"]
    except (KeyError, TypeError) as exc:
        raise OttextError(Errors.E405, file=model_dir, detail=f"missing or malformed entry {exc}") from None
    if reader:
        load_reader(clf, model_dir)
    meta["version"] = model_version(model_dir)
    return clf, meta


def load_reader(clf: CodeClassifier, model_dir: str | Path) -> None:
    """Load the fine-tuned reader of a model loaded without it (nothing to do for a model with none)."""
    if clf.reader_weight > 0 and not hasattr(clf, "reader_"):
        from ottext.classify.reader import FineTunedReader

        clf.reader_ = FineTunedReader.load(Path(model_dir), len(clf.classes_))


def _check_codebook(model_dir: Path, meta: dict, codebook: Codebook) -> None:
    if meta.get("codebook_hash") == codebook.hash:
        return
    mine = code_fingerprints(codebook)
    theirs = meta.get("code_fingerprints", {})
    model_only = sorted(set(theirs) - set(mine))
    book_only = sorted(set(mine) - set(theirs))
    changed = sorted(c for c in set(mine) & set(theirs) if mine[c] != theirs[c])
    if not (model_only or book_only or changed) and meta.get("codes") == codebook.ids:
        return  # only the codebook's name or version differs
    raise OttextError(Errors.E404, file=model_dir, model_only=", ".join(model_only) or "none",
                      book_only=", ".join(book_only) or "none", changed=", ".join(changed) or "none")
