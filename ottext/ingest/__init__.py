"""Ingest: turn input files and folders into :class:`Document` records.

``iter_input_files`` walks the inputs; ``read_file`` reads one file with the reader for its
type. Every problem is raised as an :class:`~ottext.errors.IngestError` with a one-line message
naming the file, so a batch can report it and go on.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ottext.errors import Errors, IngestError
from ottext.ingest._base import Document, ReadResult, sha256_bytes, short_id
from ottext.ingest.jsonl import read_jsonl
from ottext.ingest.office import read_docx
from ottext.ingest.pdf import read_pdf
from ottext.ingest.survey import TableOptions, read_csv, read_xlsx
from ottext.ingest.text import read_text

__all__ = [
    "Document", "IngestOptions", "InputFile", "ReadResult", "SUPPORTED", "TableOptions",
    "iter_input_files", "read_file", "sha256_bytes", "short_id",
]

PROSE = {".txt", ".md", ".docx", ".pdf"}
TABLES = {".csv", ".xlsx", ".jsonl"}
SUPPORTED = tuple(sorted(PROSE | TABLES))
SKIP_NAMES = ("readme", "license", "licence", "changelog")


@dataclass
class IngestOptions:
    """Reading options: size limits (MB) and how to read survey tables."""

    max_prose_mb: float = 10.0
    max_table_mb: float = 200.0
    table: TableOptions = field(default_factory=TableOptions)


@dataclass(frozen=True)
class InputFile:
    """A file to read, with the name it is known by in the project (``source``)."""

    path: Path
    source: str


def iter_input_files(inputs: list[str | Path]) -> Iterator[InputFile | IngestError]:
    """Yield the files to read, in a stable order; problems come back as errors, not raised.

    A folder is walked recursively; hidden files and README/LICENSE files in folders are skipped;
    a symlink that points outside its input folder is refused.
    """
    for raw in inputs:
        root = Path(raw)
        if not root.exists():
            yield IngestError(Errors.E001, file=root)
            continue
        if root.is_file():
            yield InputFile(root, root.name)
            continue
        real_root = root.resolve()
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                path = Path(dirpath) / name
                if name.startswith(".") or name.lower().startswith(SKIP_NAMES):
                    continue
                if path.suffix.lower() not in SUPPORTED:
                    continue
                if path.is_symlink():
                    target = path.resolve()
                    if not target.is_relative_to(real_root):
                        yield IngestError(Errors.E015, file=path, target=target)
                        continue
                yield InputFile(path, path.relative_to(root).as_posix())


def read_file(item: InputFile, data: bytes, options: IngestOptions | None = None) -> ReadResult:
    """Read one file's bytes into documents with the reader for its type."""
    options = options or IngestOptions()
    path, suffix = item.path, item.path.suffix.lower()
    if suffix not in SUPPORTED:
        raise IngestError(Errors.E002, file=path, suffix=suffix or "(none)", supported=", ".join(SUPPORTED))
    limit = options.max_prose_mb if suffix in PROSE else options.max_table_mb
    size_mb = len(data) / 1024 / 1024
    if size_mb > limit:
        kind = "document" if suffix in PROSE else "table"
        raise IngestError(Errors.E005, file=path, size_mb=size_mb, limit_mb=limit, kind=kind)
    if not data:
        raise IngestError(Errors.E003, file=path)
    if suffix in (".txt", ".md"):
        return read_text(path, data, item.source)
    if suffix == ".docx":
        return read_docx(path, data, item.source)
    if suffix == ".pdf":
        return read_pdf(path, data, item.source)
    if suffix == ".csv":
        return read_csv(path, data, item.source, options.table)
    if suffix == ".xlsx":
        return read_xlsx(path, data, item.source, options.table)
    return read_jsonl(path, data, item.source)


def check_size(path: Path, options: IngestOptions) -> None:
    """Refuse a file over the size limit before reading it into memory."""
    suffix = path.suffix.lower()
    limit = options.max_prose_mb if suffix in PROSE else options.max_table_mb
    size_mb = path.stat().st_size / 1024 / 1024
    if size_mb > limit:
        kind = "document" if suffix in PROSE else "table"
        raise IngestError(Errors.E005, file=path, size_mb=size_mb, limit_mb=limit, kind=kind)
