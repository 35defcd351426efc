"""The Document record every reader yields, and helpers shared by the readers."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from ottext.errors import Errors, IngestError

BINARY_SNIFF_BYTES = 8192


@dataclass
class Document:
    """One unit of source text: a whole file, or one survey answer (one respondent, one question).

    ``id`` is stable across runs for the same source identity (file path, or file + respondent +
    question), so an edited document replaces its earlier version; ``content_hash`` tracks change.
    """

    id: str
    source: str
    kind: str
    text: str
    context: str = ""
    respondent: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    known_names: list[str] = field(default_factory=list)  # names to redact wherever they appear
    private_columns: list[str] = field(default_factory=list)  # metadata columns that identify a person

    @property
    def content_hash(self) -> str:
        return sha256_text(self.text + "\x1f" + self.context)


@dataclass
class ReadResult:
    """What reading one file gave: its documents and any per-line warnings."""

    documents: list[Document]
    warnings: list[str] = field(default_factory=list)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_text(text: str) -> str:
    return sha256_bytes(text.encode("utf-8"))


def short_id(*parts: str) -> str:
    """A short stable id from its parts."""
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def decode_text(data: bytes, path: Path, warnings: list[str] | None = None, allow_nul: bool = False) -> str:
    """Decode bytes as UTF-8 (with or without BOM), UTF-16 with BOM, or cp1252; refuse binary.

    UTF-8 with a few bad bytes stays UTF-8 (the bad bytes replaced, a warning added to
    ``warnings``) rather than turning every accent and smart quote in it into cp1252 mojibake."""
    if not data.strip():
        raise IngestError(Errors.E003, file=path)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise IngestError(Errors.E017, file=path, detail=f"bad UTF-16: {exc.reason}") from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    head = data[:BINARY_SNIFF_BYTES]
    if b"\x00" in head:
        utf16 = _try_utf16_without_bom(data)
        if utf16 is not None:
            return utf16
        # a few NULs in otherwise plain text (a stray byte in one survey cell): the reader skips the
        # rows that hold them; many are a binary file
        if not allow_nul or head.count(0) > max(4, len(head) // 1000):
            raise IngestError(Errors.E004, file=path, detail="it contains NUL bytes")
    controls = sum(1 for b in head if b < 32 and b not in (0, 9, 10, 12, 13))
    if controls > max(8, len(head) // 20):
        raise IngestError(Errors.E004, file=path, detail="it is mostly control characters")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    lenient = data.decode("utf-8", errors="replace")
    bad = lenient.count("\ufffd")
    non_ascii = len(lenient) - len(lenient.encode("ascii", errors="ignore"))
    if non_ascii - bad > bad:  # more valid multi-byte letters than bad sequences: UTF-8 with a few bad bytes
        if warnings is not None:
            warnings.append(Errors.format(Errors.W104, file=path, count=bad, offset=first_bad))
        return lenient
    # cp1252 covers the smart quotes and dashes Windows tools write; five bytes are undefined in
    # it, so fall back to latin-1 for those rather than fail.
    return data.decode("cp1252", errors="strict") if _cp1252_ok(data) else data.decode("latin-1")


def _cp1252_ok(data: bytes) -> bool:
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


def _try_utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text without a BOM has NUL in every other byte; decode it if so."""
    head = data[:BINARY_SNIFF_BYTES]
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    for enc, zeros, other in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if zeros.count(0) >= 0.5 * len(zeros) and other.count(0) <= 0.05 * len(other):
            try:
                return data.decode(enc)
            except UnicodeDecodeError:
                return None
    return None
