"""Passage tables: ``passages.csv`` and ``passages.jsonl`` (and the cleaned documents they cut)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

from ottext.export.files import safe_cell
from ottext.export.ledger import opened
from ottext.store import Store

BASE_COLUMNS = ["id", "document", "document_id", "respondent", "start", "end", "context",
                "speaker", "low_content", "run_id", "text", "codes", "scores", "model_version"]


def passage_rows(store: Store, since: int | None = None) -> tuple[list[dict], list[str]]:
    """Rows for every passage (``since``: of documents added after that mark), with metadata
    flattened, and the metadata column names in order."""
    return list(iter_passage_rows(store, since)), metadata_columns(store, since)


def metadata_columns(store: Store, since: int | None = None) -> list[str]:
    """The metadata keys of the passages' documents, in the order reading first meets them."""
    columns: dict[str, None] = {}
    for metadata in store.passage_metadata(since):
        columns.update(dict.fromkeys(json.loads(metadata or "{}")))
    return list(columns)


def iter_passage_rows(store: Store, since: int | None = None) -> Iterator[dict]:
    """``passage_rows``' rows one at a time, from one uncached pass over the store."""
    codings = store.codings_by_passage(since)
    for r in store.iter_passages(since, cached=False):
        coding = codings.get(r["id"], {})
        yield {
            "id": r["id"], "document": r["source"], "document_id": r["document_id"],
            "respondent": r["respondent"], "start": r["start"], "end": r["end"],
            "context": r["context"], "speaker": r["speaker"], "low_content": bool(r["low_content"]),
            "run_id": r["run_id"], "text": r["text"], "codes": coding.get("codes", []),
            "scores": coding.get("scores", {}), "model_version": coding.get("model_version"),
            "metadata": json.loads(r["metadata"] or "{}"),
        }


def csv_header(meta_cols: list[str]) -> list[str]:
    """The ``passages.csv`` header, named as in ``coded_long.csv``: ``passage_id`` and ``meta:<key>``."""
    return ["passage_id", *BASE_COLUMNS[1:]] + [f"meta:{c}" for c in meta_cols]


def export_paths(out_dir: Path, topics: bool = False) -> dict[str, Path]:
    """Where the main job's exports go."""
    paths = {"csv": out_dir / "passages.csv", "jsonl": out_dir / "passages.jsonl",
             "documents": out_dir / "documents.jsonl"}
    if topics:
        for name in ("topics.csv", "topic_by_code.csv", "topic_barchart.html", "topic_map.html",
                     "topic_barchart.png", "topic_map.png"):
            paths[name.replace(".", "_").replace("_csv", "")] = out_dir / name
    return paths


def write_passages(store: Store, out_dir: Path, since: int | None = None,
                   columns: list[str] | None = None) -> list[str]:
    """Write ``passages.csv``, ``passages.jsonl`` and ``documents.jsonl`` into ``out_dir``; returns
    the metadata columns of the csv header. With ``since`` (and the header's ``columns``) only the
    rows of documents added after that mark are appended, unless they need a new column."""
    meta_cols = metadata_columns(store, since)
    if since is not None and columns is not None and set(meta_cols) <= set(columns):
        meta_cols = columns
    elif since is not None:  # a new metadata column: the header changes, so every row is written
        since = None
        meta_cols = metadata_columns(store)
    paths = export_paths(out_dir)
    append = since is not None
    with opened(paths["csv"], append, newline="", encoding="utf-8") as table, \
            opened(paths["jsonl"], append, encoding="utf-8") as lines:
        writer = csv.writer(table)
        if not append:
            writer.writerow(csv_header(meta_cols))
        for row in iter_passage_rows(store, since):  # a row at a time: a large project is never held whole
            writer.writerow([_flat(row[c]) if c in ("codes", "scores") else safe_cell(row[c]) for c in BASE_COLUMNS]
                            + [safe_cell(row["metadata"].get(c, "")) for c in meta_cols])
            lines.write(json.dumps(row, ensure_ascii=False) + "\n")
    write_documents_jsonl(store, paths["documents"], since)
    return meta_cols


def write_documents_jsonl(store: Store, path: Path, since: int | None = None) -> None:
    """The cleaned, redacted document texts that passage offsets index into (``since``: append
    those added after that mark)."""
    with opened(path, since is not None, encoding="utf-8") as fh:
        for r in store.iter_documents(since):
            fh.write(json.dumps({
                "id": r["id"], "document": r["source"], "kind": r["kind"],
                "respondent": r["respondent"], "context": r["context"],
                "metadata": json.loads(r["metadata"] or "{}"), "text": r["text"],
            }, ensure_ascii=False) + "\n")


def _flat(value: object) -> object:
    """Lists become ``a;b``, dicts compact JSON, for one spreadsheet cell."""
    if isinstance(value, list):
        return ";".join(map(str, value))
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=False, separators=(",", ":"))
    return value
