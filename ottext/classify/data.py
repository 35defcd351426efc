"""Labelled passages: the training corpus, gold files, and the held-out test split."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ottext.codebook import Codebook
from ottext.errors import Errors, OttextError

TEST_FRACTION = 0.15


@dataclass
class Labelled:
    """A passage with its codes (rolled up: a child code brings its parent)."""

    id: str
    text: str
    context: str = ""
    codes: list[str] = field(default_factory=list)
    voice: str = ""

    @property
    def split(self) -> str:
        """``test`` for a fixed, hash-chosen share of ids; ``train`` for the rest."""
        h = int(hashlib.sha256(self.id.encode("utf-8")).hexdigest()[:8], 16)
        return "test" if h / 0xFFFFFFFF < TEST_FRACTION else "train"


def load_labelled(path: str | Path, codebook: Codebook) -> list[Labelled]:
    """Read a labelled ``.jsonl`` (``id``, ``text``, ``codes``, optional ``context``).

    Unknown code ids are an error naming the file and line (the codebook is the single source).
    """
    path = Path(path)
    out: list[Labelled] = []
    for n, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise OttextError(Errors.W101.replace("; line skipped", ""), file=path, line=n,
                              detail=f"not valid JSON ({exc.msg})") from None
        if not isinstance(rec, dict) or not isinstance(rec.get("text"), str) or not isinstance(rec.get("codes"), list):
            raise OttextError(Errors.E401, file=path, line=n, detail="needs 'text' and a 'codes' list")
        unknown = [c for c in rec["codes"] if c not in codebook]
        if unknown:
            detail = f"unknown code {unknown[0]!r} (not in the codebook)"
            raise OttextError(Errors.E401, file=path, line=n, detail=detail)
        out.append(Labelled(id=str(rec.get("id", f"{path.stem}-{n}")), text=rec["text"],
                            context=rec.get("context") or "", codes=codebook.roll_up(rec["codes"]),
                            voice=rec.get("voice", "")))
    return out


def load_corpus(directory: str | Path, codebook: Codebook) -> list[Labelled]:
    """Every ``*.jsonl`` file of a training corpus folder, in name order."""
    files = sorted(Path(directory).glob("*.jsonl"))
    if not files:
        raise OttextError(Errors.E402, file=directory)
    items = [item for f in files for item in load_labelled(f, codebook)]
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise OttextError(Errors.E403, file=directory, id=item.id)
        seen.add(item.id)
    return items


def corpus_hash(directory: str | Path) -> str:
    """sha256 over a folder's ``.jsonl`` files' names and bytes (a corpus, or its readings)."""
    h = hashlib.sha256()
    for f in sorted(Path(directory).glob("*.jsonl")):
        h.update(f.name.encode("utf-8") + b"\0" + f.read_bytes())
    return h.hexdigest()


def label_matrix(items: list[Labelled], codebook: Codebook) -> np.ndarray:
    """An (n passages x n codes) 0/1 matrix in codebook order."""
    index = {c: j for j, c in enumerate(codebook.ids)}
    y = np.zeros((len(items), len(codebook)), dtype=np.int8)
    for i, item in enumerate(items):
        for c in item.codes:
            y[i, index[c]] = 1
    return y


def readings_dir(corpus_dir: str | Path) -> Path:
    """Where a corpus keeps its passages' separate blind readings (``X_first`` and ``X_second``)."""
    return Path(corpus_dir).parent / "readings"


def reading_matrix(items: list[Labelled], codebook: Codebook, directory: str | Path) -> np.ndarray:
    """Per passage and code, the share of its two blind readings that gave the code (0, 0.5 or 1),
    from ``directory``'s ``X_first.jsonl`` and ``X_second.jsonl``; a passage with no such pair of
    readings (a reviewed one, say) gets its own codes."""
    directory = Path(directory)
    readings: dict[str, list[set[str]]] = {}
    for first in sorted(directory.glob("*_first.jsonl")):
        second = first.with_name(first.name.replace("_first", "_second"))
        if not second.is_file():
            continue
        for path in (first, second):
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    rec = json.loads(line)
                    readings.setdefault(rec["id"], []).append(set(codebook.roll_up(rec["codes"])))
    out = label_matrix(items, codebook).astype(np.float32)
    for i, item in enumerate(items):
        pair = readings.get(item.id, [])
        if len(pair) == 2:
            out[i] = [(c in pair[0]) / 2 + (c in pair[1]) / 2 for c in codebook.ids]
    return out

