"""Redaction of personal data: emails, phone numbers (UK formats), URLs, postcodes and person
names, each replaced by a pseudonym stable within the document (``[PERSON_1]``, ``[EMAIL_1]``).

Names come from the trained pipeline's NER when it has one, and always from ``known_names``
(names in a survey's metadata columns). The mapping is kept on ``doc._.ottext_redactions`` for the
project store only; it is never exported.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.tokens import Doc

from ottext.clean.retokenize import TEXT_KEY, text_of

EMAIL_RE = re.compile(r"\b[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
URL_RE = re.compile(r"\b(?:https?://|www\.)[^\s<>\"')\]]+[^\s<>\"')\].,;:!?]", re.I)
PHONE_RE = re.compile(
    r"(?<![\w+])(?:\+44\s?\(0\)\s?|\+44\s?|\(?0)\d{2,4}\)?(?:[\s-]?\d){6,8}(?!\d)"
)
POSTCODE_RE = re.compile(r"\b(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})\b")
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("EMAIL", EMAIL_RE), ("URL", URL_RE), ("PHONE", PHONE_RE), ("POSTCODE", POSTCODE_RE),
)
# Capitalised words NER sometimes tags as people in this domain; never redacted as names.
NOT_NAMES = frozenset(w.casefold() for w in (
    "OT", "OTs", "OTA", "OTAs", "HCPC", "NHS", "LGA", "RCOT", "ADASS", "DFG", "DFGs", "BASW",
    "Unison", "UNISON", "Skills for Care", "Social Work England", "Care Act", "Principal OT",
    "Interviewer", "Participant", "Respondent", "Council", "Q&A", "CPD", "ICB", "ICS",
))
PLACEHOLDER_RE = re.compile(r"\[(PERSON|EMAIL|URL|PHONE|POSTCODE)_\d+\]")


@dataclass(frozen=True)
class Redaction:
    """One pseudonym and what it replaced (kept in the project store only)."""

    placeholder: str
    kind: str
    original: str


class Pseudonyms:
    """Stable placeholders within one document: the same name always gets the same one."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[str, str], str] = {}
        self.counts: dict[str, int] = {}
        self.records: list[Redaction] = []

    @classmethod
    def from_records(cls, records: list[Redaction]) -> Pseudonyms:
        """Continue numbering after the pseudonyms a document already has."""
        pseudo = cls()
        for rec in records:
            pseudo.by_key.setdefault((rec.kind, rec.original.casefold()), rec.placeholder)
            number = int(rec.placeholder.rsplit("_", 1)[1].rstrip("]"))
            pseudo.counts[rec.kind] = max(pseudo.counts.get(rec.kind, 0), number)
        return pseudo

    def get(self, kind: str, original: str, key: str | None = None) -> str:
        k = (kind, (key or original).casefold())
        if k not in self.by_key:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            self.by_key[k] = f"[{kind}_{self.counts[kind]}]"
        placeholder = self.by_key[k]
        if not any(r.placeholder == placeholder and r.original == original for r in self.records):
            self.records.append(Redaction(placeholder, kind, original))
        return placeholder


def pattern_spans(text: str) -> list[tuple[int, int, str]]:
    """Character spans of emails, URLs, phone numbers and postcodes."""
    spans = []
    for kind, rx in PATTERNS:
        for m in rx.finditer(text):
            if kind == "PHONE" and sum(ch.isdigit() for ch in m.group()) < 10:
                continue
            spans.append((m.start(), m.end(), kind))
    return spans


@functools.cache
def common_words() -> frozenset[str]:
    """Lower-case words far more common than their Title-case form (see scripts/make_common_words.py)."""
    path = resources.files("ottext.clean") / "data" / "common_words.txt"
    return frozenset(path.read_text(encoding="utf-8").split())


def _is_name(ent) -> bool:
    name = ent.text.strip(" '\"\u2019")
    if not name or name.casefold() in NOT_NAMES or PLACEHOLDER_RE.search(name):
        return False
    if not any(t.is_alpha and t.is_title for t in ent) or any(t.like_email or t.like_url or t.like_num for t in ent):
        return False
    # one capitalised ordinary word ("Morale's been low") is NER noise, not a person
    return not (len(ent) == 1 and name.casefold() in common_words())


def name_spans(doc: Doc, known_names: list[str]) -> list[tuple[int, int, str, str]]:
    """(start, end, 'PERSON', person key) for NER people, their name parts, and known names.

    Every part of a full name (``Claire`` of ``Claire Hartley``) gets the same person key, so a
    person keeps one pseudonym however they are named.
    """
    names = {" ".join(ent.text.strip(" '\"\u2019").split()) for ent in doc.ents
             if ent.label_ == "PERSON" and _is_name(ent)}
    names |= {" ".join(n.split()) for n in known_names if n.strip() and not PLACEHOLDER_RE.search(n)}
    people: dict[str, str] = {}  # surface form -> person key
    for name in sorted(names, key=lambda n: (-len(n.split()), n)):
        key = people.setdefault(name, name)
        for part in name.split():
            if len(part) >= 3 and part[0].isupper() and part.casefold() not in STOP_WORDS \
                    and part.casefold() not in NOT_NAMES and part.casefold() not in common_words():
                people.setdefault(part, key)
    spans = []
    text = text_of(doc)
    for surface in sorted(people, key=len, reverse=True):
        for m in re.finditer(rf"(?<!\w){re.escape(surface)}(?!\w)", text):
            spans.append((m.start(), m.end(), "PERSON", people[surface]))
    return spans


def redact_doc(doc: Doc, known_names: list[str]) -> tuple[Doc, list[Redaction]]:
    """A new Doc with personal data replaced by pseudonyms, keeping sentence starts and lemmas."""
    text = text_of(doc)
    found = [(s, e, k, text[s:e]) for s, e, k in pattern_spans(text)]
    taken = [(s, e) for s, e, _, _ in found]  # patterns win over names where they overlap
    found += [span for span in name_spans(doc, known_names)
              if not any(span[0] < e and s < span[1] for s, e in taken)]
    found.sort(key=lambda t: (t[0], -(t[1] - t[0])))
    pseudo = Pseudonyms()
    for name in known_names:
        if name.strip():
            pseudo.get("PERSON", " ".join(name.split()))
    spans: list[tuple[int, int, str]] = []  # token start, token end, placeholder
    last_end = -1
    for start, end, kind, key in found:
        span = doc.char_span(start, end, alignment_mode="expand")
        if span is None or span.start < last_end:
            continue
        spans.append((span.start, span.end, pseudo.get(kind, text[start:end], key)))
        last_end = span.end
    if not spans:
        return doc, pseudo.records
    return _rebuild(doc, spans), pseudo.records


def _rebuild(doc: Doc, spans: list[tuple[int, int, str]]) -> Doc:
    words, spaces, sent_starts, lemmas = [], [], [], []
    starts = {s: (e, p) for s, e, p in spans}
    has_sents = doc.has_annotation("SENT_START")
    has_lemmas = doc.has_annotation("LEMMA")
    i = 0
    while i < len(doc):
        if i in starts:
            end, placeholder = starts[i]
            words.append(placeholder)
            spaces.append(bool(doc[end - 1].whitespace_))
            sent_starts.append(doc[i].is_sent_start if has_sents else None)
            lemmas.append(placeholder)
            i = end
            continue
        tok = doc[i]
        words.append(tok.text)
        spaces.append(bool(tok.whitespace_))
        sent_starts.append(tok.is_sent_start if has_sents else None)
        lemmas.append(tok.lemma_ if has_lemmas else tok.text)
        i += 1
    new = Doc(doc.vocab, words=words, spaces=spaces,
              sent_starts=sent_starts if has_sents else None,
              lemmas=lemmas if has_lemmas else None)
    new.user_data.update(doc.user_data)
    new.user_data.pop(TEXT_KEY, None)
    return new


@Language.factory("ottext_redact")
def make_redactor(nlp: Language, name: str) -> RedactPersonalData:
    return RedactPersonalData()


class RedactPersonalData:
    """Pipeline component: replace personal data with pseudonyms (``doc._.ottext_redactions``)."""

    def __call__(self, doc: Doc) -> Doc:
        new, records = redact_doc(doc, list(doc._.ottext_known_names or []))
        new._.ottext_redactions = list(doc._.ottext_redactions or []) + records
        return new


def redact_text(text: str, pseudo: Pseudonyms, known: list[Redaction]) -> str:
    """Redact a short string (a metadata value) with regex patterns and already-known originals."""
    for rec in sorted(known, key=lambda r: len(r.original), reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(rec.original)}(?!\w)", rec.placeholder, text)
    for start, end, kind in sorted(pattern_spans(text), reverse=True):
        text = text[:start] + pseudo.get(kind, text[start:end]) + text[end:]
    return text
