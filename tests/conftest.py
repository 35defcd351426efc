"""Shared fixtures: paths to ../shared, cleaners, and small file builders."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from hypothesis import settings

# CI explores the same examples every run (no flaky failures from a new random draw); local runs
# keep exploring new ones, and anything they find becomes a regression test.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DEMO = ROOT / "corpora" / "demo"


@pytest.fixture(scope="session")
def shared() -> Path:
    if not (SHARED / "seeds").is_dir():
        pytest.skip("../shared is not beside the repository")
    return SHARED


@pytest.fixture(scope="session")
def cleaner():
    from ottext.clean import Cleaner

    return Cleaner(model="auto")


@pytest.fixture(scope="session")
def blank_cleaner():
    from ottext.clean import Cleaner

    return Cleaner(model="blank")


def make_docx(paragraphs: list[tuple[str, str | None]]) -> bytes:
    """A .docx with (text, style) paragraphs, built with python-docx."""
    import docx

    document = docx.Document()
    for text, style in paragraphs:
        document.add_paragraph(text, style=style)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def make_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with a real text layer (Helvetica), written by hand."""
    ops = ["BT", "/F1 11 Tf", "72 760 Td", "14 TL"]
    for line in lines:
        safe = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(f"({safe}) Tj T*")
    ops.append("ET")
    return _pdf_with_content("\n".join(ops).encode("latin-1"))


def make_blank_pdf() -> bytes:
    """A one-page PDF with no text layer (what a scan without OCR looks like)."""
    return _pdf_with_content(b"0 0 1 rg 72 72 200 200 re f")


def _pdf_with_content(content: bytes) -> bytes:
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


class FakeEmbedder:
    """A deterministic bag-of-hashed-words embedder: the Embedder contract without a model."""

    id = "fake-hash-64"
    dim = 64

    def embed(self, texts):
        import hashlib

        import numpy as np

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
            norm = np.linalg.norm(out[i])
            if norm:
                out[i] /= norm
        return out


@pytest.fixture(scope="session")
def fake_embedder():
    return FakeEmbedder()


@pytest.fixture(scope="session")
def minilm():
    from ottext.embed import MiniLMEmbedder

    return MiniLMEmbedder()
