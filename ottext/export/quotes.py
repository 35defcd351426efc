"""Quote packs: the best illustrative quotes for a code, for report authors.

A good quote is confidently coded, central to the code's passages (representative rather than
odd), unlike the quotes already chosen (maximal marginal relevance on embeddings), a readable
length (about 15 to 60 words, trimmed at sentence boundaries), at most one per respondent by
default, redacted (passages are stored redacted), and attributed. The same data gives the same pack.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ottext.codebook import Codebook
from ottext.embed import Embedder
from ottext.export.files import atomic_write
from ottext.store import Store

FORMATS = ("md", "docx", "html", "json")
MIN_WORDS, MAX_WORDS = 15, 60
MAX_POOL = 2000  # candidates per pack: above this, the most confident ones
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'\[(])")
ATTRIBUTION_KEYS = ("role", "job title", "region", "service", "team")


_QUESTION_WORDS = frozenset({
    "what", "why", "how", "when", "where", "who", "whom", "whose", "which", "whether", "is", "are", "was", "were",
    "do", "does", "did", "can", "could", "would", "should", "will", "shall", "may", "might", "have", "has", "had"})


def context_note(context: str | None) -> str:
    """' (asked: ...)' for a question, ' (column: ...)' for any other column header, '' for none."""
    if not context:
        return ""
    words = context.strip().split()
    first = words[0].lower().strip("\"'([“‘") if words else ""
    question = context.rstrip().endswith("?") or first in _QUESTION_WORDS
    return f" ({'asked' if question else 'column'}: {context})"


@dataclass
class Quote:
    passage_id: str
    text: str
    attribution: str
    context: str
    score: float
    centrality: float
    document: str
    respondent: str | None


def trim(text: str, max_words: int = MAX_WORDS) -> str:
    """At most about ``max_words`` words, cut at a sentence boundary (never mid-sentence unless
    the first sentence alone is too long, then at a word boundary with an ellipsis)."""
    if len(text.split()) <= max_words:
        return text
    out: list[str] = []
    for sentence in SENTENCE_END.split(text):
        if out and len(" ".join(out + [sentence]).split()) > max_words:
            break
        out.append(sentence)
    joined = " ".join(out)
    if len(joined.split()) > max_words:
        joined = " ".join(joined.split()[:max_words]).rstrip(",;:") + " \u2026"
    return joined


def _attribution(source: str, respondent: str | None, metadata: dict) -> str:
    who = f"Respondent {respondent}" if respondent else source
    extra = [str(v) for k, v in metadata.items() if k.lower() in ATTRIBUTION_KEYS and v]
    return ", ".join([who, *extra])


def _pool(store: Store, codebook: Codebook, required: list[str], where: dict[str, str]) -> list[tuple]:
    """The passages a pack chooses from, in passage-id order: coded with every ``required`` code (a
    child implies its parent), of readable length, matching ``where``, and above ``MAX_POOL`` only
    the most confident for the first code. Items: (row, metadata, trimmed text, score, person)."""
    from ottext.export.view import coded_view

    view = coded_view(store, codebook)
    rows = np.flatnonzero(view.quotable & _matching(view, required, where))
    scores = np.nan_to_num(view.scores[rows, view.column(required[0])], nan=0.0)
    ids = view.ids[rows]
    if len(rows) > MAX_POOL:  # a large study: the most confident passages (ties by id) are the pool
        keep = np.lexsort((ids, -scores))[:MAX_POOL]
        rows, scores, ids = rows[keep], scores[keep], ids[keep]
    order = np.argsort(ids, kind="stable")
    found = store.passages_by_id(ids[order].tolist())
    return [(found[pid], json.loads(found[pid]["metadata"] or "{}"), trim(found[pid]["text"]), float(score),
             int(view.person[row])) for pid, score, row in zip(ids[order].tolist(), scores[order], rows[order],
                                                               strict=True)]


def _matching(view, required: list[str], where: dict[str, str]) -> np.ndarray:
    """Which rows of the coded ``view`` have every ``required`` code and match ``where`` (lower case)."""
    mask = view.codes[:, [view.column(c) for c in required]].all(axis=1)
    if where:
        lowered = [{k.lower(): str(v).lower() for k, v in m.items()} for m in view.parsed_metas()]
        mask &= np.array([all(m.get(k) == v for k, v in where.items()) for m in lowered] or [False])[view.meta]
    return mask


def shortfall(store: Store, codebook: Codebook, code: str, found: int, n: int, also: list[str] | None = None,
              where: dict[str, str] | None = None, per_respondent: int = 1) -> str:
    """Why ``select_quotes`` gave ``found`` quotes, fewer than ``n`` ("" when it gave ``n``): how many
    more passages had the code(s) but were too short, or were by a respondent already quoted."""
    if found >= n:
        return ""
    from ottext.export.view import coded_view

    view = coded_view(store, codebook)
    mask = _matching(view, [code, *(also or [])], {k.lower(): v.lower() for k, v in (where or {}).items()})
    short = int((mask & ~view.quotable).sum())
    repeats = min(int((mask & view.quotable).sum()), MAX_POOL) - found
    had = ("the codes" if also else "the code") + (" and matched --where" if where else "")
    reasons = []
    if short:
        reasons.append(f"{short} more {_passages(short)} had {had} but {_were(short)} under the"
                       f" {MIN_WORDS}-word minimum")
    if repeats > 0:
        who = "a respondent" if repeats == 1 else "respondents"
        reasons.append(f"{repeats} more {_were(repeats)} by {who} already quoted"
                       f" {_times(per_respondent)} (raise --per-respondent)")
    if not reasons:
        reasons.append(f"no other passage had {had}" if found else f"no passage had {had}")
    return "; ".join(reasons)


def _passages(count: int) -> str:
    return "passage" if count == 1 else "passages"


def _were(count: int) -> str:
    return "was" if count == 1 else "were"


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def select_quotes(store: Store, codebook: Codebook, code: str, embedder: Embedder, n: int = 5,
                  also: list[str] | None = None, where: dict[str, str] | None = None,
                  per_respondent: int = 1, diversity: float = 0.3) -> list[Quote]:
    """Choose up to ``n`` quotes for ``code`` (and every code in ``also``), filtered by metadata."""
    required = [code, *(also or [])]
    for c in required:
        if c not in codebook:
            raise KeyError(c)
    where = {k.lower(): v.lower() for k, v in (where or {}).items()}
    pool = _pool(store, codebook, required, where)
    if not pool:
        return []
    vectors = embedder.embed([item[0]["text"] for item in pool])
    centroid = vectors.mean(axis=0)
    centroid /= np.linalg.norm(centroid) or 1.0
    centrality = vectors @ centroid
    relevance = 0.5 * np.array([item[3] for item in pool]) + 0.5 * centrality
    people = [item[4] for item in pool]
    number = {p: i for i, p in enumerate(dict.fromkeys(people))}
    person = np.array([number[p] for p in people])
    used = np.zeros(person.max() + 1, dtype=np.int64)  # quotes taken per respondent (or document)
    chosen: list[int] = []
    while len(chosen) < n:
        redundancy = (vectors @ vectors[chosen].T).max(axis=1) if chosen else np.zeros(len(pool))
        value = (1 - diversity) * relevance - diversity * redundancy
        value[chosen] = -np.inf
        value[used[person] >= per_respondent] = -np.inf
        best = int(np.argmax(value))  # the first of equal values: ties go to the lower passage id
        if not np.isfinite(value[best]):
            break
        chosen.append(best)
        used[person[best]] += 1
    return [Quote(passage_id=pool[i][0]["id"], text=pool[i][2],
                  attribution=_attribution(pool[i][0]["source"], pool[i][0]["respondent"], pool[i][1]),
                  context=pool[i][0]["context"], score=round(pool[i][3], 4),
                  centrality=round(float(centrality[i]), 4),
                  document=pool[i][0]["source"], respondent=pool[i][0]["respondent"]) for i in chosen]


def md_escape(text: str) -> str:
    """Text for Markdown that no renderer turns into markup: HTML tags (``<script>``, ``<img
    onerror=...>``) and entities are escaped, as the HTML report does."""
    return html.escape(text, quote=False)


def write_quotes(quotes: list[Quote], codebook: Codebook, code: str, path: Path, fmt: str,
                 also: list[str] | None = None) -> None:
    """Write a quote pack as Markdown, Word, HTML or JSON."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    title = codebook[code].name + "".join(f" + {codebook[c].name}" for c in (also or []))
    if fmt == "json":
        with atomic_write(path, encoding="utf-8") as fh:
            json.dump({"code": code, "also": also or [], "title": title,
                       "quotes": [asdict(q) for q in quotes]}, fh, ensure_ascii=False, indent=1)
    elif fmt == "md":
        lines = [f"# Quotes: {md_escape(title)}", "", f"_{md_escape(codebook[code].definition)}_", ""]
        for q in quotes:
            asked = md_escape(context_note(q.context))
            lines += [*(f"> {line}" for line in md_escape(q.text).splitlines() or [""]), ">",
                      f"> \u2014 {md_escape(q.attribution)}{asked}", ""]
        with atomic_write(path, encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
    elif fmt == "html":
        items = "".join(f"<blockquote><p>{html.escape(q.text)}</p><footer>\u2014 {html.escape(q.attribution)}"
                        + (f" <span class='ctx'>{html.escape(context_note(q.context).strip())}</span>"
                           if q.context else "")
                        + "</footer></blockquote>" for q in quotes)
        page = (f"<!doctype html><html lang='en'><meta charset='utf-8'><title>{html.escape(title)}</title>"
                "<style>body{font-family:sans-serif;max-width:46em;margin:2em auto}blockquote{border-left:4px solid"
                " #4c72b0;margin:1.2em 0;padding:.2em 1em}footer{color:#555}.ctx{font-size:.9em}</style>"
                f"<h1>Quotes: {html.escape(title)}</h1><p><em>{html.escape(codebook[code].definition)}</em></p>"
                f"{items}</html>\n")
        with atomic_write(path, encoding="utf-8") as fh:
            fh.write(page)
    else:
        import docx

        document = docx.Document()
        document.core_properties.title = f"Quotes: {title}"
        document.add_heading(f"Quotes: {title}", level=1)
        document.add_paragraph(codebook[code].definition).italic = True
        for q in quotes:
            document.add_paragraph(q.text, style="Quote")
            document.add_paragraph("\u2014 " + q.attribution + context_note(q.context))
        with atomic_write(path, mode="wb") as fh:
            document.save(fh)
