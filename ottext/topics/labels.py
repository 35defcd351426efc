"""Topic labels in the passages' own words: each topic's best 1-3 word phrases, written as the text writes them.

A phrase is a run of 1-3 words with nothing but spaces between them (no punctuation, number or
placeholder), that neither starts nor ends with a stop word. Phrases are scored per topic as
BERTopic scores its terms (class-based TF-IDF, here over the passages that contain the phrase),
with a bonus for a phrase whose lemmas are among the topic's fitted terms. Each word keeps the
casing most common in the text away from a sentence start, so acronyms stay as written ("NHS",
"OTA") and a word capitalised only because it opens a sentence is lower case.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from ottext.classify.features import lemma_texts

PLACEHOLDER = re.compile(r"\[[A-Z]+_\d+\]")
TOKEN = re.compile(r"([^A-Za-z]*)([A-Za-z]+(?:[-'\u2019][A-Za-z]+)*)")  # (what comes before, a word)
OPENERS = " \t\r\"'\u2018\u201c([-"  # what may sit between a sentence's end and its first word
ENDS = ".!?:;\n"
MAX_WORDS = 3
N_PHRASES = 3
KEEP = 0.35  # a label's later phrases score at least this share of its first
TERM_BONUS = 1.0  # a phrase among the topic's fitted terms scores up to twice as high

Key = tuple[str, ...]
Run = list[tuple[str, bool]]  # (word as written, opens a sentence)


def runs(text: str) -> list[Run]:
    """The text's words in runs a phrase may span: a run breaks at anything but spaces (punctuation,
    a number, a placeholder) and at a word with an apostrophe ("OTA's", "don't"), which no phrase
    uses. Each word is marked when it opens a sentence or a line."""
    out: list[Run] = []
    run: Run = []
    first = True
    for before, word in TOKEN.findall(PLACEHOLDER.sub(lambda m: "." * len(m.group()), text)):
        rest = before.rstrip(OPENERS)
        opens = rest[-1] in ENDS if rest else first
        joined = not first and bool(before) and not before.strip(" \t")
        first = False
        if run and (not joined or "'" in word or "\u2019" in word):
            out.append(run)
            run = []
        if "'" not in word and "\u2019" not in word:
            run.append((word, opens))
    if run:
        out.append(run)
    return out


def casing(texts: Iterable[str] | Iterable[list[Run]]) -> dict[str, str]:
    """Each word (lower case) as the text most often writes it, leaving out sentence starts where
    the word also occurs elsewhere; a word only ever seen capitalised at a sentence start is lower
    case. Ties go to the form with more capitals, so "NHS" beats "nhs". Takes texts or their ``runs``."""
    inside: dict[str, Counter] = defaultdict(Counter)
    opening: dict[str, Counter] = defaultdict(Counter)
    for item in texts:
        for run in runs(item) if isinstance(item, str) else item:
            for word, opens in run:
                (opening if opens else inside)[word.lower()][word] += 1
    forms = {}
    for key in sorted(inside.keys() | opening.keys()):
        seen = inside.get(key) or opening[key]
        form = min(seen, key=lambda f: (-seen[f], -sum(c.isupper() for c in f), f))
        if key not in inside and not _is_acronym(form):
            form = key
        forms[key] = form
    return forms


def _is_acronym(form: str) -> bool:
    return sum(c.isupper() for c in form) >= 2


def topic_labels(texts_by_topic: list[list[str]], terms_by_topic: list[list[str]],
                 stop_words: Iterable[str], n: int = N_PHRASES) -> list[str]:
    """One label per topic: up to ``n`` of its best phrases, as written, joined by " / "."""
    stops = frozenset(stop_words)
    split = [[runs(t) for t in texts] for texts in texts_by_topic]
    forms = casing(r for topic in split for r in topic)
    words = sorted(set(forms) | {w for terms in terms_by_topic for t in terms for w in t.split()})
    lemma_of = {w: tuple(lem.split()) for w, lem in zip(words, lemma_texts(words), strict=True)}
    # a stop word may not open or close a phrase, but an acronym ("OT") may edge a longer one ("OT students")
    edges = {w: (len(w) > 1 and w not in stops, len(w) > 1 and (w not in stops or _is_acronym(forms[w])))
             for w in forms}
    found = [_count(topic, edges, lemma_of) for topic in split]
    total: Counter = Counter()
    for counts, _ in found:
        total.update(counts)
    average = sum(len(t) for t in texts_by_topic) / max(len(texts_by_topic), 1)
    labels = []
    for texts, (counts, variants), terms in zip(texts_by_topic, found, terms_by_topic, strict=True):
        floor = 2 if len(texts) >= 4 else 1  # a label is something more than one passage says
        terms = [tuple(x for w in t.split() for x in lemma_of.get(w, (w,))) for t in terms]  # lemmas as ours
        bonus = _term_bonus(terms)
        term_words = {w for t in terms for w in t} - stops
        pool = [k for k in counts if counts[k] >= floor] or list(counts)
        pool = [k for k in pool if set(k) & term_words] or pool  # phrases that share a fitted term's word
        score = {k: round(counts[k] / len(texts) * math.log(1 + average / total[k]) * (1 + bonus(k)), 9) for k in pool}
        ranked = sorted(pool, key=lambda k: (-score[k], k))
        ranked = [k for k in ranked if score[k] >= KEEP * score[ranked[0]]] if ranked else []
        chosen = _pick(ranked, n, stops)
        labels.append(_written([_usual(variants[k]) for k in chosen], forms))
    return labels


def _count(passages: list[list[Run]], edges: dict[str, tuple[bool, bool]],
           lemma_of: dict[str, tuple[str, ...]]) -> tuple[Counter, dict[Key, Counter]]:
    """Passages per phrase (by its lemmas, so "desk" and "desks" count together) and, per phrase,
    passages per way of writing it (lower case)."""
    counts: Counter = Counter()
    variants: dict[Key, Counter] = defaultdict(Counter)
    for passage in passages:
        seen: dict[Key, Key] = {}
        for run in passage:
            keys = [w.lower() for w, _ in run]
            lemmas = [lemma_of.get(k, (k,)) for k in keys]
            for i, first in enumerate(keys):
                if not edges[first][1]:
                    continue
                for j in range(i + 1, min(i + MAX_WORDS, len(keys)) + 1):
                    if edges[keys[j - 1]][j - i > 1] and edges[first][j - i > 1]:
                        seen.setdefault(sum(lemmas[i:j], ()), tuple(keys[i:j]))
        for lemmas, key in seen.items():
            counts[lemmas] += 1
            variants[lemmas][key] += 1
    return counts, variants


def _usual(variants: Counter) -> Key:
    """The way of writing a phrase that most passages use (ties: the shorter, then alphabetical)."""
    return min(variants, key=lambda k: (-variants[k], len(" ".join(k)), k))


def _term_bonus(terms: list[Key]):
    """How much a phrase's lemmas agree with the fitted terms: the full term earns the bonus of
    its rank (the first term the most), a phrase sharing some of its words a part of it."""
    ranked = [(t, TERM_BONUS * (1 - i / max(len(terms), 1))) for i, t in enumerate(terms)]

    def bonus(lemmas: Key) -> float:
        best = 0.0
        for term, value in ranked:
            shared = len(set(term) & set(lemmas))
            if lemmas == term:
                best = max(best, value)
            elif shared:
                best = max(best, value * shared / max(len(term), len(lemmas)) / 2)
        return best

    return bonus


def _pick(ranked: list[Key], n: int, stops: frozenset[str]) -> list[Key]:
    """The first ``n`` phrases that each bring only new word stems ("supervisor" adds nothing
    after "supervision", nor "OTAs" after "OTA")."""
    chosen: list[Key] = []
    stems: set[str] = set()
    for key in ranked:
        words = {_stem(w) for w in key if w not in stops} or {_stem(w) for w in key}
        if words & stems:
            continue
        chosen.append(key)
        stems |= words
        if len(chosen) == n:
            break
    return chosen


def _stem(lemma: str) -> str:
    return (lemma[:-1] if len(lemma) > 3 and lemma.endswith("s") else lemma)[:4]


def _written(keys: list[Key], forms: dict[str, str]) -> str:
    """The label as written: each word in its usual casing, the first letter capitalised only when
    the first word is written in lower case."""
    if not keys:
        return "(no terms)"
    label = " / ".join(" ".join(forms.get(w, w) for w in k) for k in keys)
    return label[0].upper() + label[1:] if label[:1].islower() else label
