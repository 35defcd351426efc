"""Word documents (.docx): body paragraphs and tables in order; headings become Markdown headings.

The zip is checked before parsing, so a truncated file or a zip bomb gets a clear error. Nothing
in the document (macros, external links, embedded objects) is executed or fetched.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from ottext.errors import Errors, IngestError
from ottext.ingest._base import Document, ReadResult, short_id

MAX_UNZIPPED_MB = 200


def check_zip(path: Path, data: bytes, bad: str = Errors.E006) -> zipfile.ZipFile:
    """Open an Office zip, refusing truncated archives and zip bombs."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise IngestError(bad, file=path, detail="damaged or truncated zip archive") from None
    total = sum(info.file_size for info in zf.infolist())
    if total > MAX_UNZIPPED_MB * 1024 * 1024:
        raise IngestError(Errors.E016, file=path, size_mb=total / 1024 / 1024)
    bad_member = zf.testzip() if len(data) < 50 * 1024 * 1024 else None
    if bad_member is not None:
        raise IngestError(bad, file=path, detail=f"corrupt member {bad_member}")
    return zf


def read_docx(path: Path, data: bytes, source: str) -> ReadResult:
    import docx  # python-docx
    from docx.oxml.ns import qn

    zf = check_zip(path, data)
    if "word/document.xml" not in zf.namelist():
        raise IngestError(Errors.E006, file=path, detail="no word/document.xml inside")
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many types for broken parts
        raise IngestError(Errors.E006, file=path, detail=type(exc).__name__) from None
    lines: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            para = docx.text.paragraph.Paragraph(child, document)
            lines.append(_paragraph_line(para))
        elif child.tag == qn("w:tbl"):
            table = docx.table.Table(child, document)
            for row in table.rows:
                cells = []
                for cell in row.cells:
                    text = " ".join(cell.text.split())
                    if text and (not cells or cells[-1] != text):
                        cells.append(text)
                if cells:
                    lines.append(" | ".join(cells))
    text = "\n\n".join(line for line in lines if line.strip())
    if not text.strip():
        raise IngestError(Errors.E014, file=path)
    return ReadResult([Document(id=short_id(source), source=source, kind="docx", text=text)])


def _paragraph_line(para) -> str:
    text = para.text.strip()
    if not text:
        return ""
    style = (para.style.name or "").lower() if para.style is not None else ""
    if style.startswith("heading") or style == "title":
        level = "".join(ch for ch in style if ch.isdigit()) or "1"
        return "#" * min(int(level), 6) + " " + text
    if style.startswith("list"):
        return "- " + text
    return text
