"""The HTML report: one self-contained file (inline CSS and SVG, no network) for report authors.

Sections: a summary per standard and theme (passages, respondents, share of respondents coded,
and the health-check score and band when Likert answers are given), a bar chart of code
frequency, a co-occurrence heatmap, codes by a metadata column, the topics, and the top quotes
for each code. A respondent is the survey respondent id, or the document for other sources.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from html import escape
from pathlib import Path

import numpy as np

from ottext.codebook import Codebook
from ottext.embed import Embedder
from ottext.export.files import atomic_write
from ottext.export.quotes import context_note
from ottext.report.charts import bar_chart, heatmap
from ottext.store import Store

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;color:#222;
padding:0 1em}
h1{margin-bottom:.2em}h2{border-bottom:2px solid #4c72b0;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:1em 0;font-size:.92em}
th,td{border:1px solid #ccc;padding:.35em .6em;text-align:left}th{background:#eef2f8}td.n{text-align:right}
.band-low{color:#b00020;font-weight:600}.band-moderate{color:#9a6700}.band-high{color:#1a7f37;font-weight:600}
.meta{color:#555}blockquote{border-left:4px solid #4c72b0;margin:.8em 0;padding:.2em 1em;background:#f8f9fb}
blockquote footer{color:#555;font-size:.9em}svg.chart{display:block;margin:1em 0;max-width:100%;height:auto}
svg .lbl{font-size:12px}svg .val,svg .num{font-size:11px}svg .ttl{font-size:14px;font-weight:600}
"""


def _who(data: dict) -> str:
    """'152 respondents', '3 documents' or both: survey respondents and other documents counted apart."""
    parts = [f"{n} {word}{'' if n == 1 else 's'}" for n, word in
             ((data["survey_respondents"], "respondent"), (data["other_documents"], "document")) if n]
    return " and ".join(parts) or "0 respondents"


def report_data(store: Store, codebook: Codebook, by: str | None = None) -> dict:
    """Everything the report shows, as plain data (tested separately from the HTML)."""
    from ottext.export.view import coded_view

    view = coded_view(store, codebook)
    per_code = {}
    n_people = int(np.unique(view.person).size)
    keys = [view.people[i] for i in np.unique(view.person).tolist()]
    surveyed = sum("#" in k for k in keys)  # person_key: source#respondent for a survey row
    for j, code in enumerate(view.code_ids):
        hits = view.codes[:, j]
        who = int(np.unique(view.person[hits]).size)
        per_code[code] = {"passages": int(hits.sum()), "respondents": who,
                          "share": round(who / n_people, 3) if n_people else 0.0}
    has = view.codes.astype(np.int64)  # passage x code, 1 where coded
    co = (has.T @ has).tolist()
    metas = view.parsed_metas()
    used = np.unique(view.meta)
    by = by or _default_by(metas[i] for i in used)
    by_group, group_sizes = {}, {}
    if by:
        labels = sorted({str(metas[i][by]) for i in used if metas[i].get(by)})
        number = {g: n for n, g in enumerate(labels)}
        group = np.array([number.get(str(m[by]), -1) if m.get(by) else -1 for m in metas] or [-1])[view.meta]
        for n, g in enumerate(labels):
            members = group == n
            people = np.unique(view.person[members])
            group_sizes[g] = int(people.size)
            by_group[g] = {c: round(np.unique(view.person[members & view.codes[:, j]]).size / people.size, 3)
                           for j, c in enumerate(view.code_ids)}
    return {"passages": int(len(view.ids)), "respondents": n_people, "per_code": per_code,
            "survey_respondents": surveyed, "other_documents": n_people - surveyed,
            "cooccurrence": co, "by": by, "by_group": by_group, "group_sizes": group_sizes,
            "model_versions": sorted({view.versions[i] for i in np.unique(view.version)}),
            "documents": store.counts()["documents"]}


def _default_by(metas) -> str | None:
    """The first metadata column with 2 to 12 distinct values (``role`` if there is one)."""
    values: dict[str, set[str]] = defaultdict(set)
    for meta in metas:
        for k, v in meta.items():
            values[k].add(v)
    usable = [k for k, v in values.items() if 2 <= len(v) <= 12 and not k.startswith("L")]
    return "role" if "role" in usable else (usable[0] if usable else None)


def build_report(store: Store, codebook: Codebook, embedder: Embedder | None = None, scores=None,
                 by: str | None = None, title: str = "ottext report", quotes_per_code: int = 3,
                 quotes: dict | None = None, topic_rows: tuple | None = None) -> str:
    """The report as one HTML string (``quotes``: packs already chosen per code, and ``topic_rows``:
    the topic tables, to reuse)."""
    from ottext.topics.outputs import topic_tables

    data = report_data(store, codebook, by)
    score_of = {s.code: s for s in scores or []}
    names = {c.id: c.name for c in codebook.codes}
    out = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>"
           f"<style>{CSS}</style></head><body><h1>{escape(title)}</h1>",
           f"<p class='meta'>{data['documents']} documents; {data['passages']} coded passages from "
           f"{_who(data)}; model {escape(', '.join(data['model_versions']))}; "
           f"written {datetime.now(UTC).strftime('%d %B %Y')}.</p>",
           "<h2 id='summary'>Summary by standard and theme</h2><table><tr><th>code</th><th>name</th>"
           "<th>passages</th><th>respondents</th><th>share of respondents</th><th>health-check score</th></tr>"]
    for code in codebook.ids:
        m = data["per_code"][code]
        s = score_of.get(code)
        score = (f"<span class='band-{s.band}'>{s.score:.0f} ({s.band})</span>" if s and s.score is not None else "")
        indent = "&nbsp;&nbsp;" * len(codebook.ancestors(code))
        out.append(f"<tr><td>{indent}{escape(code)}</td><td>{escape(names[code])}</td>"
                   f"<td class='n'>{m['passages']}</td><td class='n'>{m['respondents']}</td>"
                   f"<td class='n'>{m['share']:.0%}</td><td>{score}</td></tr>")
    out.append("</table>")
    out.append("<h2 id='frequency'>How often each code appears</h2>")
    out.append(bar_chart(codebook.ids, [data["per_code"][c]["passages"] for c in codebook.ids],
                         "Coded passages per code"))
    out.append("<h2 id='cooccurrence'>Which codes occur together</h2>")
    out.append(heatmap(codebook.ids, codebook.ids, data["cooccurrence"], "Passages carrying both codes"))
    if data["by_group"]:
        groups = list(data["by_group"])
        out.append(f"<h2 id='by'>Codes by {escape(data['by'])}</h2>")
        out.append(heatmap([f"{g} (n={data['group_sizes'][g]})" for g in groups], codebook.ids,
                           [[100 * data["by_group"][g][c] for c in codebook.ids] for g in groups],
                           f"Share of respondents (%) by {data['by']}", fmt="{:.0f}"))
    table, by_code = topic_rows or topic_tables(store, codebook)
    if table:
        out.append("<h2 id='topics'>Topics</h2><table><tr><th>topic</th><th>label</th><th>passages</th>"
                   "<th>top terms</th><th>best code</th><th>example</th></tr>")
        for t, b in zip(table, by_code, strict=True):
            flag = " <em>(candidate new code)</em>" if b["candidate_new_code"] else ""
            out.append(f"<tr><td>{t['topic']}</td><td>{escape(t['label'])}</td><td class='n'>{t['size']}</td>"
                       f"<td>{escape(t['top_terms'])}</td><td>{escape(b['best_code'])} "
                       f"({b['best_share']:.0%}){flag}</td><td>{escape(t['passage_1'])}</td></tr>")
        out.append("</table>")
    if embedder is not None or quotes is not None:
        from ottext.export.quotes import select_quotes

        out.append("<h2 id='quotes'>Top quotes for each code</h2>")
        packs = quotes or {}
        for code in codebook.ids:
            chosen = packs[code][:quotes_per_code] if code in packs else \
                select_quotes(store, codebook, code, embedder, n=quotes_per_code)
            out.append(f"<h3>{escape(names[code])} <span class='meta'>({escape(code)})</span></h3>")
            if not chosen:
                out.append("<p class='meta'>No quote of readable length.</p>")
            for q in chosen:
                asked = escape(context_note(q.context))
                out.append(f"<blockquote><p>{escape(q.text)}</p><footer>\u2014 {escape(q.attribution)}{asked}"
                           "</footer></blockquote>")
    out.append("</body></html>\n")
    return "\n".join(out)


def write_report(path: Path, html_text: str) -> None:
    with atomic_write(path, encoding="utf-8") as fh:
        fh.write(html_text)
