"""PDF files: the text layer, page by page. No text layer means the file needs OCR first."""

from __future__ import annotations

import io
import logging
from pathlib import Path

from ottext.errors import Errors, IngestError
from ottext.ingest._base import Document, ReadResult, short_id

MIN_LETTERS_PER_PAGE = 20


def read_pdf(path: Path, data: bytes, source: str) -> ReadResult:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception:
                ok = 0
            if not ok:
                raise IngestError(Errors.E008, file=path)
        pages = [page.extract_text() or "" for page in reader.pages]
    except IngestError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise IngestError(Errors.E009, file=path, detail=type(exc).__name__) from None
    except Exception as exc:  # pypdf can raise assorted errors on damaged files
        raise IngestError(Errors.E009, file=path, detail=type(exc).__name__) from None
    letters = sum(ch.isalpha() for page in pages for ch in page)
    if not pages or letters < MIN_LETTERS_PER_PAGE * len(pages):
        raise IngestError(Errors.E007, file=path)
    text = "\n\n".join(page.strip() for page in pages if page.strip())
    return ReadResult([Document(id=short_id(source), source=source, kind="pdf", text=text)])
