"""Plain text and Markdown files: one document each."""

from __future__ import annotations

from pathlib import Path

from ottext.errors import Errors, IngestError
from ottext.ingest._base import Document, ReadResult, decode_text, short_id


def read_text(path: Path, data: bytes, source: str) -> ReadResult:
    warnings: list[str] = []
    text = decode_text(data, path, warnings)
    if not text.strip():
        raise IngestError(Errors.E003, file=path)
    kind = "markdown" if path.suffix.lower() == ".md" else "text"
    return ReadResult([Document(id=short_id(source), source=source, kind=kind, text=text)], warnings)
