"""Sentences: a ``?`` or ``!`` inside quoted speech does not end the sentence around it.

``She said "why bother?" and left.`` is one sentence, not ``She said "why bother?"`` and
``and left.``. The parser's sentences cannot be edited once it has run, so the merged sentence
spans are set on ``doc._.ottext_sentences`` (character offsets into the document text).
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from ottext.clean.retokenize import text_of

CLOSING_QUOTES = "\"'\u201d\u2019"
QUOTE_CHARS = "\"\u201c\u201d"


def _inside_quote(text: str, pos: int) -> bool:
    """Whether ``pos`` lies inside a double-quoted stretch that closes later on the same line."""
    line_start = text.rfind("\n", 0, pos) + 1
    line_end = text.find("\n", pos)
    line_end = len(text) if line_end < 0 else line_end
    before = text[line_start:pos]
    opened = before.count('"') % 2 == 1 or before.count("\u201c") > before.count("\u201d")
    if not opened:
        return False
    return any(q in text[pos:line_end] for q in QUOTE_CHARS)


def _continues_quote(text: str, prev_end: int, start: int) -> bool:
    """A sentence break that falls inside a quotation, or just after a quoted question or
    exclamation that the sentence goes on after (``"why bother?" and left``)."""
    gap = text[prev_end:start]
    if "\n" in gap or start >= len(text):
        return False
    core = text[:prev_end].rstrip()
    if core.endswith(tuple(CLOSING_QUOTES)) and core.rstrip(CLOSING_QUOTES)[-1:] in "?!" and text[start].islower():
        return True
    return _inside_quote(text, start)


def merge_quoted(text: str, sentences: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The sentences with breaks inside quoted speech undone."""
    out: list[tuple[int, int]] = []
    for s, e in sentences:
        if out and _continues_quote(text, out[-1][1], s):
            out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


@Language.component("ottext_quoted_speech")
def quoted_speech(doc: Doc) -> Doc:
    """Pipeline component: set ``doc._.ottext_sentences``, sentences that never end inside a quotation."""
    text = text_of(doc)
    if not doc.has_annotation("SENT_START"):
        doc._.ottext_sentences = [(0, len(text))]
        return doc
    doc._.ottext_sentences = merge_quoted(text, [(s.start_char, s.end_char) for s in doc.sents])
    return doc
