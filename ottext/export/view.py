"""The coded passages as arrays, for the exports that count and choose (the report, quote packs,
topic tables, the run manifest).

Reading every coding back from the database and parsing its JSON costs seconds at 100,000
passages, so the view is kept in the project's cache (``cache/coded_view.npz``, plain arrays, no
pickle) and, like the growing exports, only extended when a run has just added documents (see
``export.ledger``). Anything else rebuilds it from the store, so it always equals a fresh build.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from ottext import package_version
from ottext.codebook import Codebook
from ottext.export import ledger
from ottext.export.files import atomic_write
from ottext.store import Store

VIEW_KEY = "coded_view"
VIEW_FORMAT = 1


@dataclass
class CodedView:
    """One row per coded passage, in reading order. ``person``, ``meta`` and ``version`` index the
    ``people``, ``metas`` (document metadata as JSON) and ``versions`` lists; ``codes`` are the codes
    in force with their parents (a child implies its parent), ``scores`` the model's scores (NaN
    where it gave none), both in ``code_ids`` order; ``quotable`` marks passages of quotable length."""

    ids: np.ndarray
    person: np.ndarray
    meta: np.ndarray
    version: np.ndarray
    codes: np.ndarray
    scores: np.ndarray
    quotable: np.ndarray
    code_ids: list[str]
    people: list[str]
    metas: list[str]
    versions: list[str]

    def column(self, code: str) -> int:
        return self.code_ids.index(code)

    def parsed_metas(self) -> list[dict]:
        return [json.loads(m) for m in self.metas]


def person_key(source: str, respondent: str | None) -> str:
    """Who said it: the respondent of a survey (ids are only unique per file), else the document."""
    return f"{source}#{respondent}" if respondent else source


def coded_view(store: Store, codebook: Codebook) -> CodedView:
    """The view for the store as it is now (computed once per state of its coded passages)."""
    return store._cached(f"{VIEW_KEY}:{codebook.hash}", lambda: _current(store, codebook), key=store.coded_state())


def _current(store: Store, codebook: Codebook) -> CodedView:
    path = store.dir / "cache" / "coded_view.npz"
    key = f"{codebook.hash}|{VIEW_FORMAT}|ottext={package_version('ottext')}"
    grown = ledger.appendable(store, {"view": path}, key, name=VIEW_KEY)
    old = _load(path) if grown else None
    if old is not None and grown.mark == store.added_mark():
        return old
    view = _build(store, codebook, grown.mark if old is not None else None, old)
    _save(view, path)
    ledger.record(store, {"view": path}, key, {}, name=VIEW_KEY)
    return view


def _build(store: Store, codebook: Codebook, since: int | None, old: CodedView | None) -> CodedView:
    """The view of documents added after ``since`` (every document if None), after ``old``'s rows."""
    from ottext.export.quotes import MIN_WORDS, trim

    codings = store.codings_by_passage(since)
    code_ids = codebook.ids if old is None else old.code_ids
    column = {c: j for j, c in enumerate(code_ids)}
    people = {p: i for i, p in enumerate(old.people if old else [])}
    metas = {m: i for i, m in enumerate(old.metas if old else [])}
    versions = {v: i for i, v in enumerate(old.versions if old else [])}
    ids, person, meta, version, quotable = [], [], [], [], []
    codes_rows, scores_rows = [], []
    rolled: dict[tuple, list[int]] = {}  # roll-up per distinct set of codes
    for p in store.iter_passages(since):
        coding = codings.get(p["id"])
        if coding is None:
            continue
        ids.append(p["id"])
        person.append(people.setdefault(person_key(p["source"], p["respondent"]), len(people)))
        meta.append(metas.setdefault(p["metadata"] or "{}", len(metas)))
        version.append(versions.setdefault(coding["model_version"] or "unknown", len(versions)))
        key = tuple(coding["codes"])
        if key not in rolled:
            rolled[key] = [column[c] for c in codebook.roll_up([c for c in key if c in codebook]) if c in column]
        codes_rows.append(rolled[key])
        scores_rows.append([coding["scores"].get(c, np.nan) for c in code_ids])
        quotable.append(len(trim(p["text"]).split()) >= MIN_WORDS)
    codes = np.zeros((len(ids), len(code_ids)), dtype=bool)
    for i, cols in enumerate(codes_rows):
        codes[i, cols] = True
    new = CodedView(
        ids=np.array(ids, dtype=str), person=np.array(person, dtype=np.int64), meta=np.array(meta, dtype=np.int64),
        version=np.array(version, dtype=np.int64), codes=codes,
        scores=np.array(scores_rows, dtype=np.float64).reshape(len(ids), len(code_ids)),
        quotable=np.array(quotable, dtype=bool), code_ids=list(code_ids), people=list(people), metas=list(metas),
        versions=list(versions))
    if old is None:
        return new
    arrays = ("ids", "person", "meta", "version", "codes", "scores", "quotable")
    joined = {name: np.concatenate([getattr(old, name), getattr(new, name)]) for name in arrays}
    return CodedView(**joined, code_ids=new.code_ids, people=new.people, metas=new.metas, versions=new.versions)


def _save(view: CodedView, path: Path) -> None:
    arrays = {f.name: np.asarray(getattr(view, f.name), dtype=str) if isinstance(getattr(view, f.name), list)
              else getattr(view, f.name) for f in fields(view)}
    with atomic_write(path, mode="wb") as fh:
        np.savez(fh, **arrays)


def _load(path: Path) -> CodedView | None:
    """The saved view, or None if it cannot be read (then it is rebuilt)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            values = {f.name: data[f.name] for f in fields(CodedView)}
    except (OSError, ValueError, KeyError):
        return None
    lists = ("code_ids", "people", "metas", "versions")
    return CodedView(**{k: (v.tolist() if k in lists else v) for k, v in values.items()})
