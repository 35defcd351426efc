"""Structure: headings, Q&A questions and speaker labels become the context of the passages
under them, not passages of their own.

The result is ``doc._.ottext_blocks``: the body blocks (paragraphs, list items, speaker turns)
with their character spans, context and speaker.
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc

from ottext.clean.lines import (
    BULLET_RE,
    MD_HEADING_RE,
    heading_text,
    is_heading,
    is_interviewer,
    is_question,
    iter_lines,
    recurring_labels,
    speaker_label,
)
from ottext.clean.retokenize import text_of


@dataclass
class Block:
    """A span of body text with its context. ``turn`` numbers the speaker turn it belongs to."""

    start: int
    end: int
    context: str = ""
    speaker: str | None = None
    turn: int = 0
    low_content: bool = False


def find_blocks(text: str, base_context: str = "", response: bool = False) -> list[Block]:
    """Body blocks of a document. A survey response (``response=True``) is all body."""
    lines = iter_lines(text)
    if response or len(lines) <= 1:
        return [Block(ln.start, ln.end, base_context, turn=i) for i, ln in enumerate(lines)]
    labels = recurring_labels(lines)
    blocks: list[Block] = []
    context, speaker, turn = base_context, None, 0
    for i, line in enumerate(lines):
        has_next = i + 1 < len(lines)
        label = speaker_label(line.text, labels)
        if label is not None:
            name, offset = label
            turn += 1
            content = line.text[offset:].strip()
            if is_interviewer(name):
                context, speaker = content, None
                continue
            speaker = name
            start = line.start + offset + (len(line.text[offset:]) - len(line.text[offset:].lstrip()))
            blocks.append(Block(start, line.end, context, speaker, turn))
            continue
        if MD_HEADING_RE.match(line.text) or (has_next and is_heading(line.text)):
            context, speaker = heading_text(line.text), None
            turn += 1
            continue
        if speaker is None and has_next and is_question(line.text):
            context = line.text
            turn += 1
            continue
        if speaker is None:
            turn += 1
        bullet = BULLET_RE.match(line.text)
        start = line.start + (bullet.end() if bullet else 0)
        blocks.append(Block(start, line.end, context, speaker, turn))
    return blocks


@Language.component("ottext_mark_structure")
def mark_structure(doc: Doc) -> Doc:
    """Pipeline component: set ``doc._.ottext_blocks``."""
    response = doc._.ottext_kind in ("survey_response",)
    doc._.ottext_blocks = find_blocks(text_of(doc), doc._.ottext_context or "", response=response)
    return doc
