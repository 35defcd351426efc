"""Ingest: turn input files and folders into :class:`Document` records.

``iter_input_files`` walks the inputs; ``read_file`` reads one file with the reader for its
type. Every problem is raised as an :class:`~ottext.errors.IngestError` with a one-line message
naming the file, so a batch can report it and go on.
"""

from __future__ import annotations

import errno
import os
import stat
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
from ottext.ingest.transcript import take_header

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
    max_table_mb: float = 1024.0  # a national survey of a million comments is about 250 MB of CSV
    table: TableOptions = field(default_factory=TableOptions)


@dataclass(frozen=True)
class InputFile:
    """A file to read, with the name it is known by in the project (``source``)."""

    path: Path
    source: str


def iter_input_files(inputs: list[str | Path]) -> Iterator[InputFile | IngestError]:
    """Yield the files to read, in a stable order; problems come back as errors, not raised.

    A folder is walked recursively; hidden files and README/LICENSE files in folders are skipped;
    a symlink that points outside its input folder is refused, and so are broken or looping links,
    pipes and devices (reading a pipe would wait for ever) and names that are not valid UTF-8.
    """
    for raw in inputs:
        root = Path(raw)
        if not root.exists():
            yield IngestError(Errors.E001, file=printable(root))
            continue
        if not root.is_dir():
            yield _check_path(root, root.name)
            continue
        real_root = root.resolve()
        unreadable: list[OSError] = []
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=unreadable.append):
            yield from (IngestError(Errors.E017, file=printable(e.filename or dirpath), detail=e.strerror or str(e))
                        for e in unreadable)
            unreadable.clear()
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                path = Path(dirpath) / name
                if name.startswith(".") or name.lower().startswith(SKIP_NAMES):
                    continue
                if path.suffix.lower() not in SUPPORTED:
                    continue
                if path.is_symlink():
                    try:
                        target = path.resolve(strict=True)
                    except (OSError, RuntimeError) as exc:  # 3.11 raises RuntimeError for a loop
                        loop = isinstance(exc, RuntimeError) or exc.errno == errno.ELOOP
                        detail = "symbolic link loop" if loop else "broken symbolic link"
                        yield IngestError(Errors.E019, file=printable(path), detail=detail)
                        continue
                    if not target.is_relative_to(real_root):
                        yield IngestError(Errors.E015, file=printable(path), target=printable(target))
                        continue
                yield _check_path(path, path.relative_to(root).as_posix())
        yield from (IngestError(Errors.E017, file=printable(e.filename or root), detail=e.strerror or str(e))
                    for e in unreadable)


def printable(path: str | Path) -> str:
    """A path as text that can be printed and stored: bytes that are not UTF-8 shown as \\xNN."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _check_path(path: Path, source: str) -> InputFile | IngestError:
    """The file to read, or why it cannot be read: a name that is not UTF-8, or not a regular file."""
    if printable(path) != str(path):
        return IngestError(Errors.E020, file=printable(path))
    problem = _not_regular(path)
    if problem:
        return IngestError(Errors.E019, file=path, detail=problem)
    return InputFile(path, source)


def _not_regular(path: Path) -> str | None:
    """Why ``path`` (links followed) is not a regular file, or None if it is one."""
    try:
        mode = path.stat().st_mode
    except (OSError, RuntimeError) as exc:
        return exc.strerror if isinstance(exc, OSError) and exc.strerror else "cannot be opened"
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "named pipe"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "folder" if stat.S_ISDIR(mode) else "special file"


def read_file(item: InputFile, data: bytes, options: IngestOptions | None = None) -> ReadResult:
    """Read one file's bytes into documents with the reader for its type."""
    options = options or IngestOptions()
    path, suffix = item.path, item.path.suffix.lower()
    if suffix not in SUPPORTED:
        raise IngestError(Errors.E002, file=path, suffix=suffix or "(none)", supported=", ".join(SUPPORTED))
    _refuse_if_over_limit(path, len(data), options)
    if not data:
        raise IngestError(Errors.E003, file=path)
    if suffix in PROSE:
        result = _read_prose(item, data)
        for document in result.documents:
            take_header(document)
        return result
    if suffix == ".csv":
        return read_csv(path, data, item.source, options.table)
    if suffix == ".xlsx":
        return read_xlsx(path, data, item.source, options.table)
    return read_jsonl(path, data, item.source)


def _read_prose(item: InputFile, data: bytes) -> ReadResult:
    """A prose file (text, Markdown, Word, PDF): one document."""
    path, suffix = item.path, item.path.suffix.lower()
    if suffix in (".txt", ".md"):
        return read_text(path, data, item.source)
    if suffix == ".docx":
        return read_docx(path, data, item.source)
    return read_pdf(path, data, item.source)


def check_size(path: Path, options: IngestOptions) -> None:
    """Refuse a file over the size limit, or one that is not a regular file, before reading it."""
    problem = _not_regular(path)
    if problem:
        raise IngestError(Errors.E019, file=path, detail=problem)
    _refuse_if_over_limit(path, path.stat().st_size, options)


def _refuse_if_over_limit(path: Path, size: int, options: IngestOptions) -> None:
    prose = path.suffix.lower() in PROSE
    limit = options.max_prose_mb if prose else options.max_table_mb
    if size / 1024 / 1024 > limit:
        raise IngestError(Errors.E005, file=path, size_mb=size / 1024 / 1024, limit_mb=limit,
                          kind="document" if prose else "table")
