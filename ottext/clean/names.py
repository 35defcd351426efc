"""Finding people's names in text: every variant of a known name, whatever its case or accents.

A *known* name comes from a survey's name or manager column, or a transcript's speaker label: it is
a name whatever it looks like (``JOHN SMYTHE``, ``J. R. Hartley``, ``Nguyễn Văn An``, ``Anna van
der Berg``), so each run of two or more of its words, and each of its distinctive single words, is
found wherever it appears, ignoring case and accents (``Siobhan ONeill`` for ``Siobhán O'Neill``).
A name found by NER is matched as written (capitalised), since NER is sometimes wrong.

Matching works on words of a *folded* copy of the text (accents dropped, case folded) with a map
back to the original offsets, by dictionary look-up of word runs: linear in the text's length
however many names a survey holds.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from spacy.lang.en.stop_words import STOP_WORDS

WORD_RE = re.compile(r"\w+(?:'(?!s\b)\w+)*")
# what may stand between the words of one name: spaces, a hyphen, the full stop of an initial
JOIN_RE = re.compile(r"[ \t\u00a0.\-]{0,3}")
PARTICLES = frozenset({
    "van", "von", "der", "den", "de", "del", "della", "di", "da", "dos", "das", "du", "la", "le",
    "bin", "bint", "ibn", "al", "el", "ben", "ap", "mac", "mc", "st", "ter", "te", "y", "e",
})
TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev", "cllr"})
NON_VALUES = frozenset({"", "n/a", "na", "none", "-", "--", "unknown", "anonymous", "anon",
                        "prefer not to say", "not given", "not applicable", "nil", "tbc"})
APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'", "\u02bc": "'",
                             "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-"})


def fold_char(ch: str) -> str:
    """One character without accents, case-folded (may be longer: ``ß`` -> ``ss``)."""
    ch = ch.translate(APOSTROPHES)
    if ch.isascii():
        return ch.lower()
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    return (base or ch).casefold()


def fold(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each of its characters, the index of the original character."""
    if text.isascii():
        return text.translate(APOSTROPHES).lower(), list(range(len(text)))
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        f = fold_char(ch)
        out.append(f)
        index.extend([i] * len(f))
    return "".join(out), index


def fold_words(text: str) -> tuple[str, ...]:
    return tuple(m.group() for m in WORD_RE.finditer(fold(text)[0]))


@dataclass(frozen=True)
class NameEntry:
    """What a run of folded words stands for: the person's key, and whether it counts only when
    written with a capital (a single word that is also an ordinary word, or any NER name)."""

    key: str
    needs_capital: bool


def _distinctive(word: str, common: frozenset[str], not_names: frozenset[str]) -> bool | None:
    """True: a word that names the person on its own; None: only when capitalised; False: never
    on its own (an initial, a particle, a title, a stop word)."""
    if len(word) < 2 or word.isdigit() or word in PARTICLES or word in TITLES or word in not_names:
        return False
    if word in STOP_WORDS or len(word) < 3:
        return False
    return None if word in common else True


class NameTable:
    """Runs of folded words that name a person, and the person each names."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, ...], NameEntry] = {}
        self.longest = 1

    def _put(self, words: tuple[str, ...], entry: NameEntry) -> None:
        old = self.entries.get(words)
        if old is None or (old.needs_capital and not entry.needs_capital):
            self.entries[words] = entry
            self.longest = max(self.longest, len(words))

    def add(self, name: str, *, known: bool, common: frozenset[str], not_names: frozenset[str]) -> None:
        """Every variant of ``name``: all runs of two or more of its words, first and last word,
        initial and last word, the apostrophe-less form, and its distinctive single words."""
        words = tuple(w for w in fold_words(name) if w not in TITLES)
        if not words or " ".join(words) in NON_VALUES:
            return
        key = " ".join(words)
        runs: set[tuple[str, ...]] = set()
        for a in range(len(words)):
            for b in range(a + 2, len(words) + 1):
                runs.add(words[a:b])
        if len(words) > 1:
            runs.add((words[0], words[-1]))
            runs.add((words[0][0], words[-1]))
        for run in runs:
            self._put(run, NameEntry(key, needs_capital=not known))
        singles = set(words)
        for word in words:  # "o'neill" is also written "oneill", "o neill" or "neill"
            if "'" in word:
                parts = tuple(word.split("'"))
                singles |= {word.replace("'", ""), *parts}
                self._put(parts, NameEntry(key, needs_capital=not known))
        for word in singles:
            kind = _distinctive(word, common, not_names)
            if len(words) == 1 and word == words[0]:
                self._put((word,), NameEntry(key, needs_capital=not known or kind is not True))
            elif kind is True or (kind is None and known):
                self._put((word,), NameEntry(key, needs_capital=not known or kind is None))

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, person key) of every name in ``text``, longest match first, never overlapping."""
        if not self.entries:
            return []
        folded, index = fold(text)
        words = [(m.start(), m.end(), m.group()) for m in WORD_RE.finditer(folded)]
        out = []
        i = 0
        while i < len(words):
            hit = None
            for n in range(min(self.longest, len(words) - i), 0, -1):
                run = words[i:i + n]
                if n > 1 and not all(JOIN_RE.fullmatch(folded[run[k][1]:run[k + 1][0]]) for k in range(n - 1)):
                    continue
                entry = self.entries.get(tuple(w for _, _, w in run))
                if entry is None:
                    continue
                start, end = index[run[0][0]], index[run[-1][1] - 1] + 1
                if entry.needs_capital and not text[start].isupper():
                    continue
                # the full stop of a trailing initial belongs to the name
                if end < len(text) and text[end] == "." and len(run[-1][2]) == 1:
                    end += 1
                hit = (start, end, entry.key, n)
                break
            if hit:
                out.append(hit[:3])
                i += hit[3]
            else:
                i += 1
        return out


@functools.lru_cache(maxsize=8)
def known_table(names: tuple[str, ...], common: frozenset[str], not_names: frozenset[str]) -> NameTable:
    """The table of a file's known names (the same tuple for every document of a survey: built once)."""
    table = NameTable()
    for name in sorted(names, key=lambda n: (-len(n.split()), n)):
        table.add(name, known=True, common=common, not_names=not_names)
    return table


CAPITALISED_RE = re.compile(r"[^\W\d_][\w'\u2019\-]*")
TITLE_CUE_RE = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame|Cllr)\.?[ \t]+(?=[^\W\d_])")


def rule_names(text: str, ordinary: frozenset[str]) -> list[str]:
    """Names found by rule, for a pipeline without NER: two or more capitalised words in a row,
    none an ordinary word (``ordinary``: common words, stop words, domain terms), and a capitalised
    word after a title (``Ms Pryce``)."""

    def name_like(word: str) -> bool:
        if len(word) < 2 or not word[0].isupper() or word.isupper():
            return False
        return all(part.casefold() not in ordinary for part in re.split(r"[-'\u2019]", word) if part)

    names, run, last_end = [], [], -1
    for m in CAPITALISED_RE.finditer(text):
        word = m.group().rstrip("'\u2019-")
        if word.endswith(("'s", "\u2019s")):
            word = word[:-2]
        joined = run and text[last_end:m.start()] in (" ", "\u00a0")
        if name_like(word):
            if not joined and len(run) >= 2:
                names.append(" ".join(run))
            run = run + [word] if joined else [word]
            if TITLE_CUE_RE.search(text[max(0, m.start() - 6):m.start()]) and len(run) == 1:
                names.append(word)
        else:
            if len(run) >= 2:
                names.append(" ".join(run))
            run = []
        last_end = m.start() + len(m.group())
    if len(run) >= 2:
        names.append(" ".join(run))
    return names
