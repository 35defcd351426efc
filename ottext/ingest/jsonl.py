"""JSON Lines: one document per line with ``text``, optional ``id`` and ``context``; other keys
become metadata. A bad line is skipped with a warning naming the line; the rest is read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from ottext.errors import Errors, IngestError
from ottext.ingest._base import Document, ReadResult, decode_text, short_id


def json_objects(text: str, path: Path, warnings: list[str], warn_empty: bool = False) -> Iterator[tuple[int, dict]]:
    """(line number, object) for each JSON object line; a bad line adds a warning naming it."""
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            if warn_empty:
                warnings.append(Errors.format(Errors.W101, file=path, line=n, detail="empty line"))
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            warnings.append(Errors.format(Errors.W101, file=path, line=n, detail=f"not valid JSON ({exc.msg})"))
            continue
        except RecursionError:  # e.g. 100,000 nested brackets: one bad line, not a failed file
            warnings.append(Errors.format(Errors.W101, file=path, line=n, detail="JSON nested too deeply"))
            continue
        if not isinstance(record, dict):
            warnings.append(Errors.format(Errors.W101, file=path, line=n, detail="not a JSON object"))
            continue
        try:  # "\ud800" is valid JSON but not text: it cannot be stored or written anywhere
            json.dumps(record, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            warnings.append(Errors.format(Errors.W101, file=path, line=n, detail="holds a lone surrogate escape"
                                          " (such as \\ud800), which is not text"))
            continue
        yield n, record


def read_jsonl(path: Path, data: bytes, source: str) -> ReadResult:
    warnings: list[str] = []
    text = decode_text(data, path, warnings)
    docs: list[Document] = []
    seen: set[str] = set()
    for n, record in json_objects(text, path, warnings):
        body = record.get("text")
        if not isinstance(body, str) or not body.strip():
            warnings.append(Errors.format(Errors.W101, file=path, line=n, detail="no 'text' field"))
            continue
        rid = str(record.get("id") if record.get("id") is not None else f"line{n}")
        if rid in seen:
            warnings.append(Errors.format(Errors.W101, file=path, line=n, detail=f"duplicate id {rid!r}"))
            continue
        seen.add(rid)
        context = record.get("context")
        metadata = {
            k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
            for k, v in record.items()
            if k not in ("id", "text", "context") and v is not None
        }
        respondent = metadata.get("respondent") or metadata.get("respondent_id") or rid
        docs.append(Document(
            id=short_id(source, rid), source=source, kind="jsonl", text=body,
            context=context if isinstance(context, str) else "", respondent=respondent,
            metadata=metadata,
        ))
    if not docs:
        raise IngestError(Errors.E014, file=path)
    return ReadResult(docs, warnings)
