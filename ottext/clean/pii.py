"""Patterns of personal data that are not names: emails, URLs, UK phone numbers, NHS numbers,
National Insurance numbers, staff and HCPC registration numbers, postcodes, street addresses, and
dates of birth (a date after "DOB" or "born", or right after a person's name).

Each pattern gives a kind (the placeholder's prefix: ``[NHS_1]``); where two overlap, the one that
starts first wins, then the longer, then the earlier in ``PATTERNS``.
"""

from __future__ import annotations

import re

EMAIL_RE = re.compile(r"\b[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
URL_RE = re.compile(r"\b(?:https?://|www\.)[^\s<>\"')\]]+[^\s<>\"')\].,;:!?]", re.I)
PHONE_RE = re.compile(
    r"(?<![\w+])(?:\+44\s?\(0\)\s?|\+44\s?|\(?0)\d{2,4}\)?(?:[\s-]?\d){6,8}(?!\d)"
)
# ten digits, grouped 3-3-4 or not: the NHS number (any ten-digit number is redacted: a mistyped
# one is still someone's)
NHS_RE = re.compile(r"(?<![\w+])\d{3}[ \-]?\d{3}[ \-]?\d{4}(?![\w])")
NINO_RE = re.compile(r"\b[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b", re.I)
# a registration or staff number: letters then four or more digits (OT12345, SW98765, EMP004512), or
# any number after the words that introduce one
STAFF_ID_RE = re.compile(
    r"\b(?:staff|employee|payroll|hcpc|registration|reg|personnel|badge)[ .:#]{1,3}(?:no\.?|number|num|id|#)?"
    r"[ .:#]{0,3}(?P<v>[A-Z]{0,4}\d{4,10})\b"
    r"|\b(?P<w>(?-i:[A-Z]{2,4})\d{4,8}|(?-i:OT|PH|SL|CH|DT|AS|BS|CS|HAD|ODP|OR|PA|PO|PYL|RA|SW|AP)[ -]\d{4,8})\b",
    re.I)
POSTCODE_RE = re.compile(r"\b(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})\b")
STREET_WORDS = (r"Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Close|Drive|Dr|Way|Crescent|Court|Ct|Place|Pl|"
                r"Gardens|Terrace|Grove|Row|Square|Mews|Walk|Rise|View|Hill|Parade|Green")
ADDRESS_RE = re.compile(
    rf"\b(?:(?:Flat|Apartment|Apt|Unit)\s+\d+[A-Za-z]?,?\s+)?\d{{1,4}}[A-Za-z]?,?\s+"
    rf"(?:[A-Z][a-z'\-]+\s+){{1,3}}(?:{STREET_WORDS})\b\.?")
MONTHS = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
DATE = (rf"(?:\d{{1,2}}[/.\-]\d{{1,2}}[/.\-]\d{{2,4}}|\d{{4}}-\d{{2}}-\d{{2}}"
        rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+{MONTHS},?\s+\d{{4}}|{MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})")
DOB_RE = re.compile(rf"\b(?:d\.?o\.?b\.?|date of birth|birth ?date|born(?: on)?|birthday)[\s:,\-]{{1,3}}"
                    rf"(?P<v>{DATE})", re.I)
# a date right after a name ("Claire Hartley, 03/04/1979" or "(born 3 April 1979)")
DATE_AFTER_NAME_RE = re.compile(rf"[ \t]*[,(\-\u2013]?[ \t]*(?:(?:d\.?o\.?b\.?|born|b\.)[ \t:]*)?({DATE})", re.I)

PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("EMAIL", EMAIL_RE), ("URL", URL_RE), ("PHONE", PHONE_RE), ("NHS", NHS_RE), ("NINO", NINO_RE),
    ("DOB", DOB_RE), ("STAFFID", STAFF_ID_RE), ("POSTCODE", POSTCODE_RE), ("ADDRESS", ADDRESS_RE),
)
KINDS = ("PERSON", *(kind for kind, _ in PATTERNS))
PLACEHOLDER_RE = re.compile(rf"\[({'|'.join(KINDS)})_\d+\]")


def pattern_spans(text: str) -> list[tuple[int, int, str]]:
    """Character spans of every pattern's matches; of overlapping ones the first (then longest) wins."""
    found = []
    for rank, (kind, rx) in enumerate(PATTERNS):
        for m in rx.finditer(text):
            group = next((g for g in ("v", "w") if g in rx.groupindex and m.group(g)), 0)
            if kind == "PHONE" and sum(ch.isdigit() for ch in m.group()) < 10:
                continue
            found.append((m.start(group), m.end(group), kind, rank))
    found.sort(key=lambda t: (t[0], -(t[1] - t[0]), t[3]))
    kept: list[tuple[int, int, str]] = []
    for start, end, kind, _ in found:
        if not any(start < e and s < end for s, e, _ in kept):
            kept.append((start, end, kind))
    return sorted(kept)


def dates_after(text: str, ends: list[int]) -> list[tuple[int, int, str]]:
    """DOB spans for dates written right after a name (the name spans' ``ends``)."""
    spans = []
    for end in ends:
        m = DATE_AFTER_NAME_RE.match(text, end)
        if m:
            spans.append((m.start(1), m.end(1), "DOB"))
    return spans
