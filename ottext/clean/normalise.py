"""Normalisation: Unicode and mojibake, quotes, whitespace, broken line wraps and hyphenation,
and common OCR slips (``l've`` for ``I've``)."""

from __future__ import annotations

import re

import ftfy
from spacy.language import Language
from spacy.tokens import Doc

from ottext.clean.lines import BULLET_RE, MD_HEADING_RE, SPEAKER_RE
from ottext.clean.retokenize import remake_doc, text_of

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\f\v]+")
_OCR_CONTRACTION = re.compile(r"(?<![A-Za-z])l(?=['\u2019](?:ve|m|ll|d)\b)")
_OCR_PRONOUN = re.compile(
    r"(?<![A-Za-z'])l(?= (?:am|have|had|was|think|thought|feel|felt|do|did|would|will|can|could|"
    r"need|want|work|manage|hope|believe|know|really|just)\b)"
)
_HYPHEN_WRAP = re.compile(r"(?<=[a-z])-\n(?=[a-z])")
_TERMINAL = tuple(".!?:;\"')]\u2019\u201d")
MIN_WRAP_WIDTH = 40  # hard wraps are at 40 columns or more; shorter lines are lists, headings, lines of words


def normalise_text(text: str) -> str:
    """Return the normalised text; applying it twice changes nothing more (idempotent: the steps
    are repeated until they reach a fixed point, e.g. mojibake that only shows once spaces are
    tidied)."""
    for _ in range(4):
        new = _normalise_once(text)
        if new == text:
            break
        text = new
    return text


def _normalise_once(text: str) -> str:
    text = ftfy.fix_text(text, normalization="NFC")
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_INVISIBLE)
    text = _OCR_CONTRACTION.sub("I", text)
    text = _OCR_PRONOUN.sub("I", text)
    text = _HYPHEN_WRAP.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    lines = _join_wrapped(lines)
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def _join_wrapped(lines: list[str]) -> list[str]:
    """Join lines that a hard wrap broke mid-sentence."""
    nonempty = [len(line) for line in lines if line]
    wrapped_doc = False
    if len(nonempty) >= 5:
        width = sorted(nonempty)[int(0.9 * (len(nonempty) - 1))]
        long_lines = sum(n >= 0.6 * width for n in nonempty)
        wrapped_doc = MIN_WRAP_WIDTH <= width <= 130 and long_lines >= 0.5 * len(nonempty)
    out: list[str] = []
    for line in lines:
        if out and out[-1] and line and _continues(out[-1], line, wrapped_doc, nonempty):
            out[-1] = out[-1] + " " + line
        else:
            out.append(line)
    return out


def _continues(prev: str, line: str, wrapped_doc: bool, lengths: list[int]) -> bool:
    if BULLET_RE.match(line) or MD_HEADING_RE.match(line) or MD_HEADING_RE.match(prev):
        return False
    if SPEAKER_RE.match(line) and not line[0].islower():
        return False
    if prev.endswith(_TERMINAL) and not line[0].islower():
        return False
    if line[0].islower():
        return True
    if not wrapped_doc:
        return False
    width = sorted(lengths)[int(0.9 * (len(lengths) - 1))]
    return len(prev) >= 0.6 * width and not prev.endswith(_TERMINAL)


@Language.factory("ottext_normalise")
def make_normaliser(nlp: Language, name: str) -> NormaliseText:
    return NormaliseText(nlp)


class NormaliseText:
    """Pipeline component: re-tokenise the document from its normalised text."""

    def __init__(self, nlp: Language) -> None:
        self.tokenizer = nlp.tokenizer

    def __call__(self, doc: Doc) -> Doc:
        text = text_of(doc)
        new_text = normalise_text(text)
        if new_text == text:
            return doc
        return remake_doc(doc, new_text, self.tokenizer)
