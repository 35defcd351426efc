"""Survey exports (.csv, .xlsx): each non-empty free-text cell becomes one response document.

A response carries its respondent id, the question (column header) as context, and the row's
other columns as metadata. Free-text columns are detected from their content unless named.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path

from ottext.errors import Errors, IngestError
from ottext.ingest._base import Document, ReadResult, decode_text, short_id

ID_HEADER_RE = re.compile(
    r"^(respondent|response|participant|record|submission)?[ _-]?(id|no|number|ref)$|^(respondent|participant)$",
    re.I,
)
NAME_HEADER_RE = re.compile(
    r"\b(name|first[ _]?name|surname|last[ _]?name|full[ _]?name|contact|email|e-mail|phone|telephone|mobile|"
    r"manager|supervisor|colleague|interviewer|staff)\b",
    re.I,
)
CONTACT_HEADER_RE = re.compile(r"\b(email|e-mail|phone|telephone|mobile|tel)\b", re.I)
LIKERT_WORDS = {
    "strongly agree", "agree", "neither agree nor disagree", "disagree", "strongly disagree",
    "yes", "no", "n/a", "don't know", "dont know", "not sure", "neutral", "always", "often",
    "sometimes", "rarely", "never", "very satisfied", "satisfied", "dissatisfied",
    "very dissatisfied", "true", "false",
}
MIN_MEAN_WORDS = 3.0
COLUMN_SAMPLE = 5000  # the first answers of a column decide if it is free text (added rows never change it)
CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@dataclass
class TableOptions:
    """How to read a survey table; empty lists mean "detect"."""

    text_columns: list[str] = field(default_factory=list)
    id_column: str | None = None


MAX_CELL_CHARS = 1_000_000  # a longer cell is a file in itself, not an answer: its row is skipped


def read_csv(path: Path, data: bytes, source: str, options: TableOptions) -> ReadResult:
    warnings: list[str] = []
    text = decode_text(data, path, warnings, allow_nul=True)
    csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))  # long cells are checked below, per row
    sample = text[:65536]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[str]] = []
    last_start = line = 0  # the physical line (0-based) where the last record began
    try:
        for row in reader:
            rows.append(row)
            last_start, line = line, reader.line_num
    except csv.Error as exc:
        raise IngestError(Errors.E012, file=path, detail=str(exc)) from None
    if rows and any("\n" in c or "\r" in c for c in rows[-1]):
        # a quote opened and never closed swallows every later row into one cell: read those
        # lines again with quotes as plain characters, and say so
        buf = io.StringIO(text, newline="")
        for _ in range(last_start):
            buf.readline()
        tail = buf.read()
        if tail.count('"') % 2:
            detail = "a quote opens here and is never closed; quotes from this row on are read as plain text"
            warnings.append(Errors.format(Errors.W102, file=path, line=last_start + 1, detail=detail))
            rows[-1:] = list(csv.reader(io.StringIO(tail, newline=""), delimiter=delimiter, quoting=csv.QUOTE_NONE))
    rows = _drop_bad_rows(path, rows, warnings)
    result = _table_documents(path, source, rows, options, sheet=None)
    result.warnings[:0] = warnings
    return result


def _drop_bad_rows(label, rows: list[list[str]], warnings: list[str]) -> list[list[str]]:
    """Rows that hold a NUL byte or a cell over ``MAX_CELL_CHARS`` become empty (skipped), each
    with a warning naming its row; every other row is kept."""
    out = []
    for n, row in enumerate(rows, start=1):
        problem = None
        if any("\x00" in c for c in row):
            problem = "a cell holds a NUL byte"
        elif any(len(c) > MAX_CELL_CHARS for c in row):
            problem = f"a cell is over {MAX_CELL_CHARS:,} characters"
        if problem:
            warnings.append(Errors.format(Errors.W302, file=label, line=n, detail=problem))
            row = []
        out.append(row)
    return out


def read_xlsx(path: Path, data: bytes, source: str, options: TableOptions) -> ReadResult:
    from openpyxl import load_workbook

    from ottext.ingest.office import check_zip

    check_zip(path, data, bad=Errors.E012, sheets=True).close()
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken workbooks
        raise IngestError(Errors.E012, file=path, detail=type(exc).__name__) from None
    result = ReadResult([])
    errors: list[IngestError] = []
    try:
        sheets = list(wb.worksheets)
        for ws in sheets:
            sheet = ws.title if len(sheets) > 1 else None
            try:  # a sheet's XML is parsed only now; a broken or hostile one must not escape as-is
                rows = [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)]
            except Exception as exc:
                label = f"{path} [{sheet}]" if sheet else path
                errors.append(IngestError(Errors.E012, file=label, detail=type(exc).__name__))
                continue
            try:
                part = _table_documents(path, source, rows, options, sheet=sheet)
            except IngestError as exc:
                errors.append(exc)
                continue
            result.documents.extend(part.documents)
            result.warnings.extend(part.warnings)
    finally:
        wb.close()
    if not result.documents:
        raise errors[0] if errors else IngestError(Errors.E014, file=path)
    for exc in errors:
        result.warnings.append(f"{exc} (sheet skipped)")
    return result


def _table_documents(
    path: Path, source: str, rows: list[list[str]], options: TableOptions, sheet: str | None
) -> ReadResult:
    label = f"{path} [{sheet}]" if sheet else path
    rows = [r for r in rows if any(str(c).strip() for c in r)]
    if not rows:
        raise IngestError(Errors.E013, file=label)
    warnings: list[str] = []
    first = 1  # the header's row number
    if len(rows) > 1 and _filled(rows[0]) == 1 and _filled(rows[1]) > 1:  # a title above the header
        title = next(str(c).strip() for c in rows[0] if str(c).strip())
        detail = f"{title[:60]!r} looks like a title, not a header; the next row is used as the header"
        warnings.append(Errors.format(Errors.W102, file=label, line=1, detail=detail))
        rows, first = rows[1:], 2
    header = _dedupe_header([str(h).strip() for h in rows[0]])
    if not any(header):
        raise IngestError(Errors.E013, file=label)
    if len(rows) == 1:
        raise IngestError(Errors.E021, file=label)
    body: list[list[str]] = []
    for n, row in enumerate(rows[1:], start=first + 1):
        if len(row) > len(header):
            extra = [c for c in row[len(header):] if str(c).strip()]
            if extra:
                detail = f"{len(row)} cells but {len(header)} columns; extra cells ignored"
                warnings.append(Errors.format(Errors.W102, file=label, line=n, detail=detail))
            row = row[: len(header)]
        elif len(row) < len(header):
            row = list(row) + [""] * (len(header) - len(row))
        body.append([str(c).strip() for c in row])
    columns = list(header)
    text_cols = _choose_text_columns(label, columns, body, options.text_columns)
    id_col = _choose_id_column(label, columns, body, options.id_column, text_cols)
    name_cols = [c for c in columns if c not in text_cols and c != id_col and NAME_HEADER_RE.search(c)]
    j_names = [columns.index(c) for c in name_cols]
    # every value of a name column is a name, whatever it looks like; a person named in any row may
    # be mentioned in any answer, so every response is searched for them all (a document's pseudonym
    # map records only those it holds)
    j_people = [j for j, c in zip(j_names, name_cols, strict=True) if not CONTACT_HEADER_RE.search(c)]
    names = sorted({row[j] for row in body for j in j_people if row[j].strip()})
    docs: list[Document] = []
    stem = f"{source}#{sheet}" if sheet else source
    seen: dict[str, int] = {}
    for n, row in enumerate(body, start=first + 1):
        record = dict(zip(columns, row, strict=True))
        respondent = record.get(id_col) if id_col else None
        respondent = respondent or f"row{n}"
        seen[respondent] = seen.get(respondent, 0) + 1
        key = respondent if seen[respondent] == 1 else f"{respondent}#{seen[respondent]}"  # a repeated id
        metadata = {c: v for c, v in record.items() if c not in text_cols and c != id_col and v}
        for col in text_cols:
            answer = record[col]
            if not answer:
                continue
            docs.append(Document(
                id=short_id(stem, key, col), source=source, kind="survey_response",
                text=answer, context=col, respondent=respondent, metadata=dict(metadata),
                known_names=names, private_columns=name_cols,
            ))
    return ReadResult(docs, warnings)


def _filled(row: list) -> int:
    return sum(1 for c in row if str(c).strip())


def _dedupe_header(header: list[str]) -> list[str]:
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, h in enumerate(header, start=1):
        name = h or f"column_{i}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
        out.append(name)
    return out


def _choose_text_columns(label, columns: list[str], body: list[list[str]], named: list[str]) -> list[str]:
    if named:
        missing = [c for c in named if c not in columns]
        if missing:
            raise IngestError(Errors.E011, file=label, column=missing[0], columns=", ".join(columns))
        return list(named)
    chosen = []
    for j, col in enumerate(columns):
        values = list(itertools.islice((row[j] for row in body if row[j]), COLUMN_SAMPLE))
        if values and _looks_like_free_text(col, values):
            chosen.append(col)
    if not chosen:
        raise IngestError(Errors.E010, file=label, columns=", ".join(columns) or "none")
    return chosen


def _looks_like_free_text(header: str, values: list[str]) -> bool:
    """Free text: many distinct, multi-word, non-numeric answers that are not a rating scale."""
    if ID_HEADER_RE.match(header) or NAME_HEADER_RE.search(header):
        return False
    lowered = [v.lower() for v in values]
    if sum(v in LIKERT_WORDS for v in lowered) > 0.5 * len(values):
        return False
    numeric = sum(_is_number(v) for v in values)
    if numeric > 0.5 * len(values):
        return False
    mean_words = sum(_words(v) for v in values) / len(values)
    distinct = len(set(lowered)) / len(values)
    if header.rstrip().endswith(("?", "\uff1f")) and mean_words >= 2:
        return distinct > 0.3
    return mean_words >= MIN_MEAN_WORDS and distinct > 0.5


def _words(value: str) -> int:
    """Words in an answer; Chinese and Japanese are written without spaces, about two characters a word."""
    return max(len(value.split()), len(CJK_RE.findall(value)) // 2)


def _is_number(value: str) -> bool:
    try:
        float(value.replace(",", ""))
    except ValueError:
        return False
    return True


def _choose_id_column(label, columns, body, named: str | None, text_cols: list[str]) -> str | None:
    if named:
        if named not in columns:
            raise IngestError(Errors.E011, file=label, column=named, columns=", ".join(columns))
        return named
    for col in columns:
        if ID_HEADER_RE.match(col.strip()) and col not in text_cols:
            return col
    return None
