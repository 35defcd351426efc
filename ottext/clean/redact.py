"""Redaction of personal data: the patterns of ``ottext.clean.pii`` (emails, phones, NHS and NI
numbers, staff numbers, postcodes, addresses, dates of birth) and people's names, each replaced by a
pseudonym stable within the document (``[PERSON_1]``, ``[NHS_1]``).

Names come from ``known_names`` (a survey's name columns, a transcript's speaker labels: matched in
every case and accent variant, see ``ottext.clean.names``) and from the trained pipeline's NER when
it has one. A pseudonym is recorded only for what the document holds, so one person's name is never
copied into another's map. The mapping is kept on ``doc._.ottext_redactions`` for the project store
only; it is never exported.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.tokens import Doc

from ottext.clean.lines import KNOWN_SPEAKERS, iter_lines, recurring_labels
from ottext.clean.names import NameTable, known_table, rule_names
from ottext.clean.pii import PATTERNS, PLACEHOLDER_RE, dates_after, pattern_spans
from ottext.clean.retokenize import TEXT_KEY, text_of

__all__ = ["PATTERNS", "PLACEHOLDER_RE", "Pseudonyms", "Redaction", "pattern_spans", "redact_doc", "redact_value"]

# Capitalised words NER sometimes tags as people in this domain; never redacted as names.
NOT_NAMES = frozenset(w.casefold() for w in (
    "OT", "OTs", "OTA", "OTAs", "HCPC", "NHS", "LGA", "RCOT", "ADASS", "DFG", "DFGs", "BASW",
    "Unison", "UNISON", "Skills for Care", "Social Work England", "Care Act", "Principal OT",
    "Interviewer", "Participant", "Respondent", "Council", "Q&A", "CPD", "ICB", "ICS",
    "Manager", "Team", "Service", "Note", "Notes", "Speaker", "Chair",
    # places: parts of region names are not people
    "North", "South", "East", "West", "Midlands", "Yorkshire", "Humber", "London", "England", "Wales",
    "Scotland", "Ireland", "Northern", "Greater", "Central", "Upper", "Lower", "Cornwall", "Kent", "Essex",
))
# a name followed by one of these words names an organisation or a place, not a person
ORG_NEXT_RE = re.compile(
    r"[ \t]+(?:(?:County|City|Borough|District|Metropolitan|Town|Parish|Royal|General|Community|Primary|"
    r"Integrated|Teaching|University)[ \t]+)*(?:Council|County|Borough|Trust|Hospital|Hospitals|NHS|University|"
    r"College|School|Academy|Centre|Center|Surgery|Practice|Health|Healthcare|Care|Hospice|Foundation|"
    r"Partnership|Ltd|Limited|plc|Group|Street|Road|Avenue|Lane|Ward|House|Park|ICB|CCG|Authority|"
    r"Library|Station|Court|Clinic|Services?|Team|Region|Valley|Village|Estate)\b")
ORG_LABELS = ("ORG", "GPE", "LOC", "FAC", "NORP")


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

    def get(self, kind: str, original: str, key: str | None = None) -> str:
        k = (kind, (key or original).casefold())
        if k not in self.by_key:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            self.by_key[k] = f"[{kind}_{self.counts[kind]}]"
        placeholder = self.by_key[k]
        if not any(r.placeholder == placeholder and r.original == original for r in self.records):
            self.records.append(Redaction(placeholder, kind, original))
        return placeholder


@functools.cache
def common_words() -> frozenset[str]:
    """Lower-case words far more common than their Title-case form (see scripts/make_common_words.py)."""
    path = resources.files("ottext.clean") / "data" / "common_words.txt"
    return frozenset(path.read_text(encoding="utf-8").split())


@functools.cache
def ordinary_words() -> frozenset[str]:
    """Words a rule never takes for a name: the common words, spaCy's stop words and ``NOT_NAMES``
    (built once: building it took about 3.5 ms, once per document of a --fast run)."""
    return common_words() | STOP_WORDS | NOT_NAMES


def _is_name(ent) -> bool:
    name = ent.text.strip(" '\"\u2019")
    if not name or name.casefold() in NOT_NAMES or PLACEHOLDER_RE.search(name):
        return False
    if not any(t.is_alpha and t.is_title for t in ent) or any(t.like_email or t.like_url or t.like_num for t in ent):
        return False
    # one capitalised ordinary word ("Morale's been low") is NER noise, not a person
    return not (len(ent) == 1 and name.casefold() in common_words())


def _names_an_org(name: str, text: str) -> bool:
    """NER's "person" is an organisation or place where it is ever followed by "Council", "Trust"..."""
    return any(ORG_NEXT_RE.match(text, m.end())
               for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", text))


def speaker_names(text: str) -> list[str]:
    """A transcript's speaker names (labels that recur, not roles such as ``Interviewer``)."""
    common = common_words()
    out = []
    for label in sorted(recurring_labels(iter_lines(text))):
        words = [w.casefold() for w in label.split()]
        if KNOWN_SPEAKERS.match(label) or label.casefold() in NOT_NAMES or any(w.isdigit() for w in words):
            continue
        if any(w not in common and w not in STOP_WORDS and w not in NOT_NAMES for w in words):
            out.append(label)
    return out


def person_table(doc: Doc, known_names: list[str]) -> tuple[NameTable, NameTable]:
    """The known names' table (shared by a file's documents) and one of this document's NER names."""
    text = text_of(doc)
    known = known_table(tuple(sorted({n for n in known_names if n.strip() and not PLACEHOLDER_RE.search(n)}
                                     | set(speaker_names(text)))), common_words(), NOT_NAMES)
    places = [(e.start_char, e.end_char) for e in doc.ents if e.label_ in ORG_LABELS]
    found = NameTable()
    for ent in doc.ents:
        if ent.label_ != "PERSON" or not _is_name(ent):
            continue
        if any(ent.start_char < e and s < ent.end_char for s, e in places):
            continue
        name = " ".join(ent.text.strip(" '\"\u2019").split())
        if _names_an_org(name, text):
            continue
        found.add(name, known=False, common=common_words(), not_names=NOT_NAMES)
    if not doc.has_annotation("ENT_IOB"):  # no NER (the blank pipeline, --fast): names by rule
        for name in rule_names(text, ordinary_words()):
            if not _names_an_org(name, text):
                found.add(name, known=False, common=common_words(), not_names=NOT_NAMES)
    return known, found


def name_spans(doc: Doc, known_names: list[str]) -> list[tuple[int, int, str, str]]:
    """(start, end, 'PERSON', person key) of every name: known names first, then NER's.

    Every variant of a full name (``Claire`` of ``Claire Hartley``) gets the same person key, so a
    person keeps one pseudonym however they are named.
    """
    text = text_of(doc)
    known, found = person_table(doc, known_names)
    spans = [[s, e, "PERSON", k] for s, e, k in known.spans(text)]
    for s, e, k in found.spans(text):
        overlapping = [span for span in spans if s < span[1] and span[0] < e]
        for span in overlapping:  # NER's "Claire Hartley" around the known "Hartley": one name
            span[0], span[1] = min(span[0], s), max(span[1], e)
        if not overlapping:
            spans.append([s, e, "PERSON", k])
    return sorted(tuple(span) for span in spans)


def find_personal_data(doc: Doc, known_names: list[str]) -> list[tuple[int, int, str, str]]:
    """(start, end, kind, key) of everything to redact, never overlapping; patterns win over names."""
    text = text_of(doc)
    found = [(s, e, k, text[s:e]) for s, e, k in pattern_spans(text)]
    names = [span for span in name_spans(doc, known_names)
             if not any(span[0] < e and s < span[1] for s, e, _, _ in found)]
    dobs = [(s, e, k, text[s:e]) for s, e, k in dates_after(text, [n[1] for n in names])]
    found += [d for d in dobs if not any(d[0] < e and s < d[1] for s, e, _, _ in found)]
    return sorted(found + names, key=lambda t: (t[0], -(t[1] - t[0])))


def redact_doc(doc: Doc, known_names: list[str], pseudo: Pseudonyms | None = None) -> tuple[Doc, list[Redaction]]:
    """A new Doc with personal data replaced by pseudonyms, keeping sentence starts and lemmas."""
    text = text_of(doc)
    pseudo = Pseudonyms() if pseudo is None else pseudo
    spans: list[tuple[int, int, str]] = []  # token start, token end, placeholder
    last_end = -1
    for start, end, kind, key in find_personal_data(doc, known_names):
        span = doc.char_span(start, end, alignment_mode="expand")
        if span is None:
            continue
        if span.start < last_end:  # overlaps the previous one after widening to tokens: join them
            if span.end > last_end:
                s0, _, placeholder = spans[-1]
                spans[-1] = (s0, span.end, placeholder)
                last_end = span.end
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
    """Pipeline component: replace personal data with pseudonyms (``doc._.ottext_redactions``),
    in the text and in the document's metadata (``doc.user_data["ottext_metadata"]``)."""

    def __call__(self, doc: Doc) -> Doc:
        known = list(doc._.ottext_known_names or [])
        pseudo = Pseudonyms()
        new, _ = redact_doc(doc, known, pseudo)
        document = doc.user_data.get("ottext_document")
        if document is not None:
            private = set(getattr(document, "private_columns", ()))
            new.user_data["ottext_metadata"] = {
                k: redact_value(v, pseudo, known, whole=k in private) for k, v in document.metadata.items()}
        new._.ottext_redactions = list(doc._.ottext_redactions or []) + pseudo.records
        return new


def redact_value(text: str, pseudo: Pseudonyms, known_names: list[str], *, whole: bool = False) -> str:
    """Redact a short string (a metadata value) with the document's pseudonyms: patterns and the
    file's known names. ``whole``: the value identifies a person (a name or contact column), so
    anything left of it once those are replaced is replaced too, as one pseudonym."""
    table = known_table(tuple(sorted({n for n in known_names if n.strip()})), common_words(), NOT_NAMES)
    spans: list[tuple[int, int, str, str | None]] = [(s, e, k, None) for s, e, k in pattern_spans(text)]
    spans += [(s, e, "PERSON", k) for s, e, k in table.spans(text)
              if not any(s < e2 and s2 < e for s2, e2, *_ in spans)]
    original = text
    for start, end, kind, key in sorted(spans, reverse=True):
        text = text[:start] + pseudo.get(kind, text[start:end], key) + text[end:]
    if whole and PLACEHOLDER_RE.sub("", text).strip(" ,;/&-()"):
        kind = "EMAIL" if "@" in original else "PERSON"
        text = pseudo.get(kind, original)
    return text
