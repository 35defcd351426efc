"""Coded excerpts for spreadsheets and data tools: long (one row per passage and code) or wide
(one row per passage, a 0/1 and a score column per code), every row with its provenance."""

from __future__ import annotations

import contextlib
import csv
import json
from pathlib import Path

from ottext.codebook import Codebook
from ottext.export.files import atomic_write, check_output_path, safe_cell
from ottext.store import Store

FORMATS = ("csv", "xlsx", "jsonl", "parquet")
SHAPES = ("long", "wide")
PROVENANCE = ["passage_id", "document", "document_id", "respondent", "context", "speaker", "start", "end", "text"]
TRAILER = ["model_version", "run_id", "review_status"]


def coded_rows(store: Store, codebook: Codebook, shape: str = "long", since: int | None = None,
               columns: list[str] | None = None) -> tuple[list[str], list[list]]:
    """Column names and rows (lists in column order). Long rows exist only for assigned codes;
    wide has every passage that was coded (low-content passages are left out: they are never coded).
    ``since``: only passages of documents added after that mark, with the metadata ``columns`` of
    the rows already written (a ValueError if they need another one)."""
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {', '.join(SHAPES)}")
    codings = store.codings_by_passage(since)
    passages = [p for p in store.iter_passages(since) if p["id"] in codings]
    meta_cols: dict[str, None] = dict.fromkeys(columns or ())
    metas = []
    for p in passages:
        meta = json.loads(p["metadata"] or "{}")
        metas.append(meta)
        for key in meta:
            meta_cols.setdefault(key, None)
    if columns is not None and len(meta_cols) > len(columns):
        raise ValueError("new metadata columns")
    base_cols = PROVENANCE[:4] + [f"meta:{k}" for k in meta_cols] + PROVENANCE[4:]
    if shape == "long":
        columns = base_cols + ["code", "code_name", "code_group", "parent", "score"] + TRAILER
    else:
        columns = base_cols + ["codes"] + [c for code in codebook.ids for c in (code, f"{code}_score")] + TRAILER
    about = {c.id: [c.id, c.name, c.group, c.parent or ""] for c in codebook.codes}
    rows = []
    for p, meta in zip(passages, metas, strict=True):
        coding = codings[p["id"]]
        base = [p["id"], p["source"], p["document_id"], p["respondent"], *(meta.get(k, "") for k in meta_cols),
                p["context"], p["speaker"], p["start"], p["end"], p["text"]]
        trailer = [coding["model_version"], p["run_id"], coding.get("review_status", "model")]
        assigned = codebook.roll_up([c for c in coding["codes"] if c in codebook])
        scores = coding["scores"]
        if shape == "long":
            rows += [[*base, *about[code], scores.get(code), *trailer] for code in assigned]
        else:
            wide = [";".join(assigned)]
            for code in codebook.ids:
                wide += [int(code in assigned), scores.get(code)]
            rows.append(base + wide + trailer)
    return columns, rows


def write_coded(store: Store, codebook: Codebook, path: Path, fmt: str, shape: str = "long") -> int:
    """Write coded excerpts in ``fmt``; returns the number of rows."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    check_output_path(Path(path))  # before any work: refuse a link, device or FIFO up front
    columns, rows = coded_rows(store, codebook, shape)
    {"csv": _csv, "xlsx": _xlsx, "jsonl": _jsonl, "parquet": _parquet}[fmt](path, columns, rows, codebook)
    return len(rows)


def _grown_rows(store: Store, codebook: Codebook, shape: str, since: int | None,
                columns: list[str] | None) -> tuple[list[str], list[list], bool]:
    """Header, rows and whether they are to be appended: the rows of documents added after
    ``since`` under the header's metadata ``columns``, or every row if there is no such mark or
    the new rows need a new column (the header changes)."""
    if since is not None and columns is not None:
        with contextlib.suppress(ValueError):
            return (*coded_rows(store, codebook, shape, since, columns), True)
    return (*coded_rows(store, codebook, shape), False)


def _meta_columns(header: list[str]) -> list[str]:
    return [c[len("meta:"):] for c in header if c.startswith("meta:")]


def grow_coded_csv(store: Store, codebook: Codebook, path: Path, since: int | None = None,
                   columns: list[str] | None = None) -> list[str]:
    """Write the long coded csv, or with ``since`` and the header's metadata ``columns`` append
    the rows of documents added after that mark (in full if they need a new column). Returns the
    header's metadata columns."""
    header, rows, append = _grown_rows(store, codebook, "long", since, columns)
    _csv(path, header, rows, codebook, append=append)
    return _meta_columns(header)


def _csv(path: Path, columns: list[str], rows: list[list], codebook: Codebook, append: bool = False) -> None:
    from ottext.export.ledger import opened

    with opened(path, append, newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        if not append:
            writer.writerow(columns)
        numeric = {"start", "end", "score", *codebook.ids, *(f"{c}_score" for c in codebook.ids)}
        texts = [j for j, c in enumerate(columns) if c not in numeric]  # only text can start a formula
        for row in rows:
            for j in texts:
                row[j] = safe_cell(row[j])
            writer.writerow(row)


def _xlsx(path: Path, columns: list[str], rows: list[list], codebook: Codebook) -> None:
    from ottext.export.xlsx import Sheet, rows_xml, write_xlsx

    body = rows_xml(([safe_cell(v) for v in row] for row in rows), 2)
    sheet = Sheet("coded excerpts", [rows_xml([columns], 1), body], (len(columns), len(rows) + 1))
    write_xlsx(path, [sheet, _codebook_sheet(codebook)])


def _codebook_sheet(codebook: Codebook):
    from ottext.export.xlsx import Sheet, rows_xml

    rows = [["id", "name", "group", "number", "parent", "definition"]]
    rows += [[safe_cell(v) for v in (c.id, c.name, c.group, c.number, c.parent or "", c.definition)]
             for c in codebook.codes]
    return Sheet("codebook", [rows_xml(rows, 1)], (len(rows[0]), len(rows)))


def grow_coded_xlsx(store: Store, codebook: Codebook, path: Path, rows_file: Path, since: int | None = None,
                    columns: list[str] | None = None, count: int = 0) -> tuple[list[str], int]:
    """Write the wide coded workbook from its rows kept as SpreadsheetML in ``rows_file``. With
    ``since``, the header's metadata ``columns`` and the ``count`` of rows kept, only the rows of
    documents added after that mark are serialised and added to the kept ones (all of them if they
    need a new column). Returns the header's metadata columns and the number of rows."""
    from ottext.export.ledger import opened
    from ottext.export.xlsx import Sheet, rows_xml, write_xlsx

    header, rows, append = _grown_rows(store, codebook, "wide", since, columns)
    count = count if append else 0
    with opened(rows_file, append, encoding="utf-8") as fh:
        fh.write(rows_xml(([safe_cell(v) for v in row] for row in rows), count + 2))
    sheet = Sheet("coded excerpts", [rows_xml([header], 1), rows_file], (len(header), count + len(rows) + 1))
    write_xlsx(path, [sheet, _codebook_sheet(codebook)])
    return _meta_columns(header), count + len(rows)


def _jsonl(path: Path, columns: list[str], rows: list[list], codebook: Codebook) -> None:
    with atomic_write(path, encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(dict(zip(columns, row, strict=True)), ensure_ascii=False) + "\n")


def _parquet(path: Path, columns: list[str], rows: list[list], codebook: Codebook) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({c: [row[j] for row in rows] for j, c in enumerate(columns)})
    with atomic_write(path, mode="wb") as fh:
        pq.write_table(table, fh)
