"""Coding passages with a trained model, and explaining each decision."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ottext.classify.features import embed_pair, lemma_texts
from ottext.classify.model import CodeClassifier
from ottext.errors import Errors, OttextError
from ottext.ingest._base import decode_text


@dataclass
class PassageIn:
    id: str
    text: str
    context: str = ""


@dataclass
class Coded:
    id: str
    codes: list[str]
    scores: dict[str, float]
    explanation: dict = field(default_factory=dict)


def read_passages(path: Path) -> tuple[list[PassageIn], list[str]]:
    """Passages from a ``.jsonl`` or ``.csv`` (``id`` or ``passage_id``, ``text``, optional ``context``); bad lines
    are skipped with a warning naming the file and line."""
    text = decode_text(path.read_bytes(), path)
    items: list[PassageIn] = []
    warnings: list[str] = []
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(text, newline=""))
        columns = reader.fieldnames or []
        if "text" not in columns:
            raise OttextError(Errors.E409, file=path, columns=", ".join(columns) or "none")
        for n, row in enumerate(reader, start=2):
            body = (row.get("text") or "").strip()
            if not body:
                warnings.append(Errors.format(Errors.W101, file=path, line=n, detail="empty 'text'"))
                continue
            pid = row.get("id") or row.get("passage_id") or f"line{n}"
            items.append(PassageIn(str(pid), body, (row.get("context") or "").strip()))
    else:
        from ottext.ingest.jsonl import json_objects

        for n, rec in json_objects(text, path, warnings, warn_empty=True):
            if not isinstance(rec.get("text"), str) or not rec["text"].strip():
                warnings.append(Errors.format(Errors.W101, file=path, line=n, detail="no 'text' field"))
                continue
            ctx = rec.get("context")
            items.append(PassageIn(str(rec.get("id", f"line{n}")), rec["text"], ctx if isinstance(ctx, str) else ""))
    return items, warnings


def code_passages(clf: CodeClassifier, items: list[PassageIn], explain: bool = False,
                  train_texts: list[str] | None = None, batch: int = 2048,
                  on_batch: Callable[[int], None] | None = None) -> list[Coded]:
    """Codes and calibrated scores for every passage (every code appears in ``scores``);
    ``on_batch`` hears how many passages each batch scored."""
    out: list[Coded] = []
    for start in range(0, len(items), batch):
        chunk = items[start:start + batch]
        texts, contexts = [i.text for i in chunk], [i.context for i in chunk]
        emb = embed_pair(clf._embedder(), texts, contexts)
        proba, labels = score_passages(clf, texts, contexts, emb, on_batch)
        X = clf.transform(texts, contexts, emb) if explain else None
        for r, coded in enumerate(to_coded(clf, [i.id for i in chunk], proba, labels)):
            if explain:
                coded.explanation = explain_one(clf, X[r], emb[0][r], coded.codes, train_texts or [])
            out.append(coded)
    return out


def score_passages(clf: CodeClassifier, texts: list[str], contexts: list[str], emb: tuple[np.ndarray, np.ndarray],
                   on_batch: Callable[[int], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Calibrated scores and 0/1 codes of passages whose embeddings are given (the part of coding
    that needs no store, so a worker process can do it)."""
    proba = clf.predict_proba(texts, contexts, emb, on_batch=on_batch)
    return proba, clf.decide(proba.copy())


def to_coded(clf: CodeClassifier, ids: list[str], proba: np.ndarray, labels: np.ndarray) -> list[Coded]:
    """One ``Coded`` per passage from its scores and codes (scores rounded to 4 places)."""
    out = []
    for r, pid in enumerate(ids):
        codes = [c for j, c in enumerate(clf.classes_) if labels[r, j]]
        out.append(Coded(pid, codes, {c: round(float(proba[r, j]), 4) for j, c in enumerate(clf.classes_)}))
    return out


def explain_one(clf: CodeClassifier, x_row, text_vec: np.ndarray, codes: list[str],
                train_texts: list[str], k_terms: int = 5, k_neighbours: int = 3) -> dict:
    """Per assigned code: the lexical features that pushed it up most, and the nearest training
    passages that carry the code."""
    names = clf.features_.lexical_names
    x = x_row.toarray().ravel()[: len(names)]
    sims = clf.train_embeddings_.astype(np.float32) @ text_vec.astype(np.float32)
    out = {}
    for code in codes:
        j = clf.classes_.index(code)
        contrib = x * clf.coef_[j, : len(names)]
        top = [i for i in np.argsort(-contrib)[:k_terms] if contrib[i] > 0]
        holders = np.flatnonzero(clf.train_labels_[:, j])
        near = holders[np.argsort(-sims[holders])[:k_neighbours]] if len(holders) else []
        out[code] = {
            "evidence": [{"feature": names[i], "weight": round(float(contrib[i]), 4)} for i in top],
            "nearest_training": [{"text": train_texts[i] if i < len(train_texts) else "",
                                  "similarity": round(float(sims[i]), 3)} for i in near],
        }
    return out


__all__ = ["Coded", "PassageIn", "code_passages", "explain_one", "lemma_texts", "read_passages", "score_passages",
           "to_coded"]
