"""Erasure helpers for ``Store.forget``: what names a forgotten respondent in other documents."""

from __future__ import annotations

import json
import re
import sqlite3

# metadata columns that hold the respondent's own name or contact details (not a manager's)
SELF_COLUMN_RE = re.compile(r"\b(name|first[ _]?name|surname|last[ _]?name|full[ _]?name|email|e-mail|phone|"
                            r"telephone|mobile|contact)\b", re.I)
OTHERS_COLUMN_RE = re.compile(r"\b(manager|supervisor|colleague|interviewer|line)\b", re.I)
PLACEHOLDER_FIND_RE = re.compile(r"\[[A-Z]+_\d+\]")


def forget_mentions(db: sqlite3.Connection, docs: str, key: str) -> int:
    """Delete, from other documents' pseudonym maps, what names the respondent: the originals
    behind the placeholders of their own name and contact columns, and any run of their words."""
    from ottext.clean.names import fold_words

    own: set[tuple[str, ...]] = set()
    for doc_id, metadata in db.execute(f"SELECT id, metadata FROM documents WHERE id IN ({docs})", (key,)):
        values = [v for c, v in json.loads(metadata or "{}").items() if SELF_COLUMN_RE.search(c)
                  and not OTHERS_COLUMN_RE.search(c)]
        placeholders = {p for v in values for p in PLACEHOLDER_FIND_RE.findall(str(v))}
        own |= {fold_words(original) for placeholder, original in db.execute(
            "SELECT placeholder, original FROM redactions WHERE document_id = ?", (doc_id,))
            if placeholder in placeholders}
    own.discard(())

    def names_them(original: str) -> bool:
        words = fold_words(original)
        return bool(words) and any(words == name[a:a + len(words)] for name in own for a in range(len(name)))

    gone = [(d, p, o) for d, p, o in db.execute("SELECT document_id, placeholder, original FROM redactions"
                                                f" WHERE document_id NOT IN ({docs})", (key,)) if names_them(o)]
    db.executemany("DELETE FROM redactions WHERE document_id = ? AND placeholder = ? AND original = ?", gone)
    return len(gone)
