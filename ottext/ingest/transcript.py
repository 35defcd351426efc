"""Transcript headers: the lines at the top of an interview transcript (``Date: 12 March 2024``,
``Participant: P1``, ``Interviewer: ...``, a bare date, a title) are document metadata, not text.

A header is only taken from a document whose first line after it is a speaker turn (``P1: ...``,
``Interviewer: ...``); anything else (an article, a report) keeps its text as it is.
"""

from __future__ import annotations

import re

from ottext.ingest._base import Document

MONTHS = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
          r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
DAY = r"\d{1,2}(?:st|nd|rd|th)?"
DATE_RE = re.compile(
    rf"^(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+)?"
    rf"(?:{DAY}\s+{MONTHS},?\s+\d{{4}}|{MONTHS}\s+{DAY},?\s+\d{{4}}|{MONTHS}\s+\d{{4}}"
    rf"|\d{{1,2}}[/.\-]\d{{1,2}}[/.\-]\d{{2,4}}|\d{{4}}-\d{{2}}-\d{{2}})$",
    re.I,
)
FIELD_RE = re.compile(r"^\s*(?:\*\*)?(?P<key>[A-Za-z][A-Za-z ]{0,24}?)\s*(?:\*\*)?\s*:\s*(?:\*\*)?\s*(?P<value>\S.*)$")
TURN_RE = re.compile(
    r"^\s*(?:[\[(]?\d{1,2}:\d{2}(?::\d{2})?[\])]?\s*)?"
    r"(?P<label>[A-Z][A-Za-z]{0,20}(?:[ .]?\d{1,3})?(?: [A-Z][a-z]{1,20})?)\s*:\s+\S"
)
HEADER_KEYS = frozenset({
    "date", "time", "participant", "participants", "participant id", "interviewee", "interviewer",
    "interviewers", "facilitator", "moderator", "researcher", "respondent", "role", "job title", "position",
    "location", "setting", "venue", "site", "duration", "length", "organisation", "organization",
    "employer", "team", "service", "area", "sector", "mode", "format", "method", "interview",
    "interview id", "transcript", "transcriber", "transcribed by", "recorded", "recording", "file",
    "pseudonym", "band", "grade", "experience", "years qualified", "region",
})
# keys that are also speaker labels: "Interviewer: Thanks for coming." is a turn, not a header
SPEAKER_KEYS = frozenset({"participant", "interviewee", "interviewer", "facilitator", "moderator",
                          "researcher", "respondent"})
# keys whose value may be a person's name: a name there is redacted wherever it appears
NAME_KEYS = frozenset({"interviewer", "interviewers", "interviewee", "participant", "facilitator",
                       "moderator", "researcher", "transcriber", "transcribed by"})
NAME_RE = re.compile(r"^(?:(?:Dr|Mr|Mrs|Ms|Miss|Prof)\.?\s+)?[A-Z][a-z'\-]+(?:\s+[A-Z][a-z'\-]+){0,3}$")
MAX_TITLE_WORDS = 15
MAX_VALUE_WORDS = 15
MAX_SPEAKER_VALUE_WORDS = 8
MAX_HEADER_LINES = 20


def _field(line: str) -> tuple[str, str] | None:
    """``(key, value)`` when the line is a header field such as ``Role: Senior OT``."""
    m = FIELD_RE.match(line)
    if not m:
        return None
    key = " ".join(m.group("key").lower().split())
    value = m.group("value").strip().strip("*").strip()
    if key not in HEADER_KEYS or not value or len(value.split()) > MAX_VALUE_WORDS or value.endswith("?"):
        return None
    if key in SPEAKER_KEYS and (len(value.split()) > MAX_SPEAKER_VALUE_WORDS or value[-1] in ".!?"):
        return None
    return key, value


def _is_title(line: str) -> bool:
    """A short heading-like line (no sentence punctuation at its end) such as ``Transcript``."""
    core = line.strip().strip("#*_ ").strip()
    return (bool(core) and (core[0].isupper() or core[0].isdigit()) and core[-1] not in ".!?,;:"
            and len(core.split()) <= MAX_TITLE_WORDS and not TURN_RE.match(core))


def split_header(text: str) -> tuple[str, dict[str, str], int]:
    """The text without its transcript header, the header's fields, and where the body starts.

    Returns ``(text, {}, 0)`` unchanged when the text has no header or is not a transcript.
    """
    meta: dict[str, str] = {}
    titles: list[str] = []
    pos, body_start, fields = 0, 0, 0
    lines = text.split("\n")
    for n, raw in enumerate(lines):
        line = raw.strip()
        if line:
            field = None if n >= MAX_HEADER_LINES else _field(line)
            if field is not None:
                key, value = field[0].replace(" ", "_"), field[1]
                meta[key] = f"{meta[key]}; {value}" if key in meta else value
                fields += 1
            elif n < MAX_HEADER_LINES and DATE_RE.match(line.strip("*_ ")):
                meta.setdefault("date", line.strip("*_ "))
                fields += 1
            elif TURN_RE.match(line):
                break
            elif n < MAX_HEADER_LINES and _is_title(line):
                titles.append(line.strip("#*_ ").strip())
            else:
                return text, {}, 0
        pos += len(raw) + 1
        body_start = pos
    else:
        return text, {}, 0  # no speaker turn after the header: not a transcript
    if not fields:
        return text, {}, 0
    if titles:
        meta = {"title": "; ".join(titles), **meta}
    return text[body_start:], meta, body_start


def take_header(document: Document) -> Document:
    """Move a transcript header out of a prose document's text into its metadata (in place).

    Names in name fields (``Interviewer: Jane Smith``) become known names, redacted wherever they
    appear, and their fields are redacted whole."""
    body, meta, _ = split_header(document.text)
    if not meta:
        return document
    document.text = body
    for key, value in meta.items():
        document.metadata.setdefault(key, value)
        if key.replace("_", " ") in NAME_KEYS and NAME_RE.match(value):
            document.known_names.append(value)
            document.private_columns.append(key)
    return document
