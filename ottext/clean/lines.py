"""Line-level patterns shared by the cleaning components: headings, questions, speaker labels.

After normalisation a paragraph is one line, so the cleaners reason about lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TIMESTAMP = r"(?:[\[(]?\d{1,2}:\d{2}(?::\d{2})?[\])]?\s*)?"
SPEAKER_RE = re.compile(
    rf"^\s*{TIMESTAMP}(?P<label>[A-Z][A-Za-z]{{0,20}}(?:[ .]?\d{{1,3}})?(?: [A-Z][a-z]{{1,20}})?)\s*:\s+(?P<rest>\S.*)$"
)
KNOWN_SPEAKERS = re.compile(
    r"^(interviewer|interviewee|int|i|q|a|r|researcher|facilitator|moderator|"
    r"participant[ .]?\d+|respondent[ .]?\d+|p[ .]?\d+|r[ .]?\d+|interviewer[ .]?\d+)$",
    re.I,
)
INTERVIEWER_LABELS = re.compile(r"^(interviewer[ .]?\d*|int|i|q|researcher|facilitator|moderator)$", re.I)
BULLET_RE = re.compile(r"^\s*(?:[-*\u2022\u2023\u25e6\u2043\u2219]|\d{1,2}[.)])\s+(?=\S)")
MD_HEADING_RE = re.compile(r"^\s*#{1,6}\s+(?=\S)")
TRAILING_CLOSERS = "'\"\u2019\u201d)]*_ "
TERMINAL = ".!?;:,"
MAX_HEADING_WORDS = 15
MAX_QUESTION_WORDS = 45


@dataclass(frozen=True)
class Line:
    """A non-empty line of a document: its span and its text."""

    start: int
    end: int
    text: str


def iter_lines(text: str) -> list[Line]:
    """Non-empty lines with offsets, leading/trailing spaces excluded from the span."""
    out: list[Line] = []
    pos = 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        if stripped:
            lead = len(raw) - len(raw.lstrip())
            out.append(Line(pos + lead, pos + lead + len(stripped), stripped))
        pos += len(raw) + 1
    return out


def speaker_label(line: str, recurring: set[str] | None = None) -> tuple[str, int] | None:
    """The speaker label of a transcript line and where its content starts, if it has one.

    A label counts when it is a known transcript label (Interviewer, Q, P3, Respondent 2 ...) or
    recurs as a label on several lines of the same document (names such as ``Sarah:``).
    """
    m = SPEAKER_RE.match(line)
    if not m:
        return None
    label = m.group("label").strip()
    if KNOWN_SPEAKERS.match(label) or (recurring is not None and label in recurring):
        return label, m.start("rest")
    return None


NAME_LABEL = re.compile(r"^[A-Z][a-z]+(?: [A-Z][a-z]+)?$")


def recurring_labels(lines: list[Line]) -> set[str]:
    """Speaker names of a transcript: labels that open two or more lines, and once a document has
    any recurring label, every name-like label (``Tom:``) as well."""
    counts: dict[str, int] = {}
    for line in lines:
        m = SPEAKER_RE.match(line.text)
        if m:
            counts[m.group("label").strip()] = counts.get(m.group("label").strip(), 0) + 1
    recurring = {label for label, n in counts.items() if n >= 2}
    if recurring:
        recurring |= {label for label in counts if NAME_LABEL.match(label)}
    return recurring


def is_interviewer(label: str) -> bool:
    return bool(INTERVIEWER_LABELS.match(label))


def is_heading(line: str) -> bool:
    """A short line with no sentence punctuation at its end, or a Markdown heading."""
    if MD_HEADING_RE.match(line):
        return True
    if BULLET_RE.match(line):
        return False
    core = line.rstrip(TRAILING_CLOSERS)
    if not core or core[-1] in TERMINAL or core[-1] == "?":
        return False
    if not (core[0].isupper() or core[0].isdigit() or core[0] in "'\"[\u2018\u201c"):
        return False
    return len(core.split()) <= MAX_HEADING_WORDS


def is_question(line: str) -> bool:
    """A line that is one short question (a Q&A prompt or survey item)."""
    if BULLET_RE.match(line):
        return False
    core = line.rstrip(TRAILING_CLOSERS)
    return core.endswith("?") and len(core.split()) <= MAX_QUESTION_WORDS and core.count("?") <= 2


def heading_text(line: str) -> str:
    return MD_HEADING_RE.sub("", line).strip().strip("*_").strip()
