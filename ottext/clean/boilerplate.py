"""Boilerplate: page furniture, headers and titles repeated within a document, pull quotes that
repeat body text, and promotional or contact blocks in articles.

What is removed is logged on ``doc._.ottext_removed`` as ``(reason, text)`` pairs.
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc

from ottext.clean.lines import (
    BULLET_RE,
    TRAILING_CLOSERS,
    Line,
    is_heading,
    iter_lines,
    recurring_labels,
    speaker_label,
)
from ottext.clean.pii import EMAIL_RE, PHONE_RE, URL_RE
from ottext.clean.retokenize import remake_doc, text_of

PAGE_FURNITURE = re.compile(r"^(page\s*\d+(\s*(of|/)\s*\d+)?|\d{1,4}|-\s*\d{1,4}\s*-)$", re.I)
PULL_QUOTE_MIN_WORDS = 6
PULL_QUOTE_MAX_CHARS = 2_000_000
PROMO_CUES = [re.compile(p, re.I) for p in (
    r"\bnominat(e|ion|ions|ing)\b",
    r"\bsign[ -]?up\b",
    r"\bsubscri(be|ber|ption)\b",
    r"\bbook (your|a) (place|ticket|seat)\b",
    r"\bregister (now|here|today|your interest|online)\b",
    r"\bclick here\b|\bfind out more\b|\bread more\b",
    r"\bvisit (our|the) (website|site|page)\b",
    r"\bfollow us\b|\bshare this\b",
    r"\bnewsletter\b|\bwebinar\b",
    r"\bfor free\b|\bfree of charge\b|\bfree (specialist |online )?(learning|event|webinar|trial|place)",
    r"\b\d+(st|nd|rd|th) anniversary\b",
    r"\bwe(')?re (expanding|launching|offering|hosting|delighted|pleased)\b",
    r"\b(email|e-mail|contact|call|phone) (us|our)\b",
    r"\bsponsored\b|\badvertisement\b|\badvertorial\b|\bpromoted\b",
    r"\b(takes|taking) place on\b",
    r"\bterms and conditions\b|\bprivacy policy\b|\bcookies?\b",
)]
CONTACT_RES = (EMAIL_RE, PHONE_RE, URL_RE)
CALL_TO_ACTION = re.compile(
    r"^(for (more|further) (information|details)|to find out more|find out more|to book|"
    r"subscribe|sign up|follow us|click here|share this|read more|related (articles|stories)|"
    r"advertisement|contact us|get in touch)\b",
    re.I,
)
PROMO_THRESHOLD = 2


def find_boilerplate(text: str, prose: bool = True) -> list[tuple[Line, str]]:
    """Lines to drop and why. Survey answers (``prose=False``) only lose page furniture."""
    lines = iter_lines(text)
    drop: dict[int, str] = {}
    for i, line in enumerate(lines):
        if PAGE_FURNITURE.match(line.text):
            drop[i] = "page furniture"
    if prose:
        labels = recurring_labels(lines)
        _repeated_headers(lines, labels, drop)
        _pull_quotes(text, lines, labels, drop)
        _promo_blocks(lines, drop)
    return [(lines[i], reason) for i, reason in sorted(drop.items())]


def _key(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.casefold()).split())


def _repeated_headers(lines: list[Line], labels: set[str], drop: dict[int, str]) -> None:
    """Short title-like lines seen again: keep the first (it is a heading), drop the repeats;
    a line on three or more pages is running furniture and goes entirely."""
    seen: dict[str, list[int]] = {}
    for i, line in enumerate(lines):
        core = line.text.rstrip(TRAILING_CLOSERS)
        if speaker_label(line.text, labels) or not core or core[-1] in ".!?":
            continue
        if len(core.split()) > 15:
            continue
        seen.setdefault(_key(line.text), []).append(i)
    for key, idx in seen.items():
        if not key or len(idx) < 2:
            continue
        for n, i in enumerate(idx):
            if n > 0 or len(idx) >= 3:
                drop.setdefault(i, "repeated header")


def _pull_quotes(text: str, lines: list[Line], labels: set[str], drop: dict[int, str]) -> None:
    """A line whose words all stand in another line (a pull quote, a pasted repeat) goes."""
    if len(text) > PULL_QUOTE_MAX_CHARS:
        return
    keys = [_key(line.text) for line in lines]
    joined = "\n " + " \n ".join(keys) + " \n"
    first_of: dict[str, int] = {}
    for i, key in enumerate(keys):
        first_of.setdefault(key, i)
    identical = {k: keys.count(k) for k in first_of}
    for i, (line, key) in enumerate(zip(lines, keys, strict=True)):
        if i in drop or len(key.split()) < PULL_QUOTE_MIN_WORDS or speaker_label(line.text, labels):
            continue
        occurrences = joined.count(f" {key} ")
        if first_of[key] < i:
            drop[i] = "duplicate paragraph"
        elif occurrences > identical[key]:
            drop[i] = "pull quote"


def _promo_blocks(lines: list[Line], drop: dict[int, str]) -> None:
    """Sections (a heading and what follows it) that read as adverts or calls to action."""
    sections: list[list[int]] = []
    for i, line in enumerate(lines):
        if not sections or (is_heading(line.text) and i + 1 < len(lines) and not BULLET_RE.match(line.text)):
            sections.append([i])
        else:
            sections[-1].append(i)
    for section in sections:
        if len(sections) > 1 and is_heading(lines[section[0]].text):
            body = " ".join(lines[i].text for i in section)
            score = sum(bool(rx.search(body)) for rx in PROMO_CUES)
            score += sum(bool(rx.search(body)) for rx in CONTACT_RES)
            if score >= PROMO_THRESHOLD:
                for i in section:
                    drop.setdefault(i, "promotional block")
                continue
        for i in section:
            text = lines[i].text
            if CALL_TO_ACTION.match(text) and any(rx.search(text) for rx in CONTACT_RES):
                drop.setdefault(i, "contact block")


def remove_lines(text: str, dropped: list[tuple[Line, str]]) -> str:
    """The text without the dropped lines (their line breaks go too)."""
    if not dropped:
        return text
    out, pos = [], 0
    for line, _ in dropped:
        out.append(text[pos:line.start])
        pos = line.end
        if pos < len(text) and text[pos] == "\n":
            pos += 1
    out.append(text[pos:])
    return re.sub(r"\n{3,}", "\n\n", "".join(out)).strip()


@Language.factory("ottext_strip_boilerplate")
def make_boilerplate_stripper(nlp: Language, name: str) -> StripBoilerplate:
    return StripBoilerplate(nlp)


class StripBoilerplate:
    """Pipeline component: drop boilerplate lines and re-tokenise."""

    def __init__(self, nlp: Language) -> None:
        self.tokenizer = nlp.tokenizer

    def __call__(self, doc: Doc) -> Doc:
        prose = doc._.ottext_kind not in RESPONSE_KINDS
        text = text_of(doc)
        dropped = find_boilerplate(text, prose=prose)
        if not dropped:
            return doc
        new = remake_doc(doc, remove_lines(text, dropped), self.tokenizer)
        new._.ottext_removed = list(doc._.ottext_removed or []) + [(r, ln.text) for ln, r in dropped]
        return new


RESPONSE_KINDS = frozenset({"survey_response"})
