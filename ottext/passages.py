"""Passages: the coding unit, cut from cleaned documents with exact character offsets.

A passage is a group of sentences within one paragraph or speaker turn (default: at most three
sentences and about 80 words). ``text == document_text[start:end]`` always holds, and a passage's
id depends only on its document and its text, so it is stable across runs for unchanged text.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ottext.ingest import short_id

if TYPE_CHECKING:  # the clean package imports spaCy; passages only needs it when segmenting
    from ottext.clean.structure import Block

UNITS = ("group", "sentence", "paragraph", "turn")


@dataclass
class Passage:
    """A passage of a cleaned document."""

    id: str
    document_id: str
    seq: int
    start: int
    end: int
    text: str
    context: str = ""
    speaker: str | None = None
    low_content: bool = False


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _block_sentences(text: str, block: Block, sentences: list[tuple[int, int]],
                     ends: list[int]) -> list[tuple[int, int]]:
    """The block's sentences, clipped to the block and stripped of surrounding space."""
    out = []
    for s, e in sentences[bisect.bisect_right(ends, block.start):]:
        if s >= block.end:
            break
        s, e = _strip(text, max(s, block.start), min(e, block.end))
        if s < e:
            out.append((s, e))
    if not out:
        s, e = _strip(text, block.start, block.end)
        if s < e:
            out.append((s, e))
    return out


def _group(text: str, sents: list[tuple[int, int]], max_sentences: int, max_words: int) -> list[tuple[int, int]]:
    groups: list[list[tuple[int, int]]] = []
    words = 0
    for s, e in sents:
        n = len(text[s:e].split())
        if groups and len(groups[-1]) < max_sentences and words + n <= max_words:
            groups[-1].append((s, e))
            words += n
        else:
            groups.append([(s, e)])
            words = n
    return [(g[0][0], g[-1][1]) for g in groups]


def segment(
    document_id: str,
    text: str,
    blocks: list[Block],
    sentences: list[tuple[int, int]],
    unit: str = "group",
    max_sentences: int = 3,
    max_words: int = 80,
) -> list[Passage]:
    """Cut a cleaned document's body blocks into passages."""
    from ottext.clean.low_content import is_low_content
    from ottext.clean.structure import Block

    if unit not in UNITS:
        raise ValueError(f"unit must be one of {', '.join(UNITS)}")
    spans: list[tuple[int, int, Block]] = []
    if unit == "turn":
        merged: list[Block] = []
        for b in blocks:
            if merged and b.speaker is not None and merged[-1].speaker == b.speaker and merged[-1].turn == b.turn:
                last = merged[-1]
                merged[-1] = Block(last.start, b.end, last.context, last.speaker, last.turn,
                                   last.low_content and b.low_content)
            else:
                merged.append(b)
        spans = [(*_strip(text, b.start, b.end), b) for b in merged]
    elif unit == "paragraph":
        spans = [(*_strip(text, b.start, b.end), b) for b in blocks]
    else:
        sentences = sorted(sentences)
        ends = [e for _, e in sentences]
        for b in blocks:
            sents = _block_sentences(text, b, sentences, ends)
            cut = sents if unit == "sentence" else _group(text, sents, max_sentences, max_words)
            spans.extend((s, e, b) for s, e in cut)
    passages: list[Passage] = []
    seen: dict[str, int] = {}
    for s, e, b in spans:
        if s >= e:
            continue
        body = text[s:e]
        n = seen.get(body, 0)
        seen[body] = n + 1
        passages.append(Passage(
            id=short_id(document_id, body, str(n)), document_id=document_id, seq=len(passages),
            start=s, end=e, text=body, context=b.context, speaker=b.speaker,
            low_content=b.low_content or is_low_content(body),
        ))
    return passages


def coverage(doc_text: str, spans: list[tuple[int, int]], target: str) -> str:
    """How passages cover a target text (e.g. a hand-coded gold passage) of the same document.

    ``exact``: one passage is exactly the target; ``overlap``: the target lies inside the
    passages that overlap it; ``missing``: the target is not in the text or not fully covered.
    """
    start = doc_text.find(target)
    if start < 0:
        return "missing"
    end = start + len(target)
    if (start, end) in spans:
        return "exact"
    covered = start
    for s, e in sorted(spans):
        if s <= covered < e:
            covered = e
            while covered < end and doc_text[covered].isspace():
                covered += 1
        elif s > covered:
            break
        if covered >= end:
            return "overlap"
    return "missing"
