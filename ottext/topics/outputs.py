"""Topic outputs: the topic table, the topic-by-code table, and plots (self-contained HTML and PNG)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from ottext.codebook import Codebook
from ottext.export.files import atomic_write, safe_cell
from ottext.store import Store

N_REPRESENTATIVE = 5
WELL_COVERED = 0.4  # a topic is covered by a code when at least this share of its passages has it


def topic_tables(store: Store, codebook: Codebook) -> tuple[list[dict], list[dict]]:
    """Rows of the topic table and of the topic-by-code table (a child code counts for its parent)."""
    from ottext.export.view import coded_view

    topics = store.topics()
    view = coded_view(store, codebook)
    pids, tids, sims = store.topic_members()
    ranked = np.lexsort((pids, -np.round(sims, 6), tids))  # by topic, most similar first, ties by id
    first = np.searchsorted(tids[ranked], [t["id"] for t in topics])
    top = {t["id"]: [pid for pid, tid in zip(pids[ranked[i:i + N_REPRESENTATIVE]].tolist(),
                                              tids[ranked[i:i + N_REPRESENTATIVE]].tolist(), strict=True)
                     if tid == t["id"]] for t, i in zip(topics, first.tolist(), strict=True)}
    found = store.passages_by_id([pid for ids in top.values() for pid in ids])
    reps = {tid: [found[pid]["text"] for pid in ids if pid in found] for tid, ids in top.items()}
    order = np.argsort(view.ids)  # where each assigned passage is in the view (if it is coded)
    at = np.searchsorted(view.ids[order], pids).clip(0, max(len(order) - 1, 0))
    coded = (view.ids[order][at] == pids) if len(order) else np.zeros(len(pids), dtype=bool)
    rows, row_topic = order[at[coded]], tids[coded]
    table, by_code = [], []
    for t in topics:
        texts = reps.get(t["id"], [])
        size = int((tids == t["id"]).sum())
        table.append({"topic": t["id"], "label": t["label"], "size": size, "top_terms": "; ".join(t["terms"]),
                      **{f"passage_{i + 1}": (texts[i] if i < len(texts) else "") for i in range(N_REPRESENTATIVE)}})
        counts = view.codes[rows[row_topic == t["id"]]].sum(axis=0)
        shares = {code: float(counts[j]) / size if size else 0.0 for j, code in enumerate(view.code_ids)}
        best = max(shares, key=lambda c: shares[c]) if shares else ""
        by_code.append({"topic": t["id"], "label": t["label"], "size": size, "best_code": best,
                        "best_share": round(shares.get(best, 0.0), 3),
                        "candidate_new_code": bool(size) and shares.get(best, 0.0) < WELL_COVERED,
                        **{c: round(v, 3) for c, v in shares.items()}})
    return table, by_code


def _write_csv(path: Path, rows: list[dict]) -> None:
    with atomic_write(path, newline="", encoding="utf-8") as fh:
        if not rows:
            fh.write("")
            return
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: safe_cell(v) for k, v in row.items()})


def write_topic_outputs(store: Store, codebook: Codebook, out_dir: Path,
                        tables: tuple[list[dict], list[dict]] | None = None, plots: bool = True) -> dict[str, Path]:
    """Write topics.csv, topic_by_code.csv and (unless not ``plots``: see ``TopicPlots``)
    topic_map.html and .png, topic_barchart.html and .png (``tables``: ``topic_tables`` already made)."""
    table, by_code = tables or topic_tables(store, codebook)
    paths = _paths(out_dir)
    _write_csv(paths["topics"], table)
    _write_csv(paths["topic_by_code"], by_code)
    if plots:
        TopicPlots((table, by_code), [t["centroid"] for t in store.topics()], code_names(codebook), out_dir)()
    return paths


def code_names(codebook: Codebook) -> dict[str, str]:
    """Each code's name, in codebook order (the map's colours and legend follow it)."""
    return {c.id: c.name for c in codebook.codes}


def _paths(out_dir: Path) -> dict[str, Path]:
    from ottext.export.tabular import export_paths

    return {k: v for k, v in export_paths(out_dir, topics=True).items() if k.startswith("topic")}


class TopicPlots:
    """The topic plots from the topic tables, the centroids and the code names: a job that needs no
    database, so a child process can draw them while the parent writes other files."""

    def __init__(self, tables: tuple[list[dict], list[dict]], centroids: list[np.ndarray],
                 code_names: dict[str, str], out_dir: Path) -> None:
        self.tables, self.centroids, self.code_names, self.paths = tables, centroids, code_names, _paths(out_dir)

    def __call__(self) -> None:
        from ottext.topics import plots

        table, by_code = self.tables
        if not table:
            return
        data = plots.map_data(table, by_code, self.centroids, self.code_names, WELL_COVERED)
        title = "Intertopic map (PCA of topic centroids; bubble area = passages, colour = best code)"
        plots.write_map_html(data, self.paths["topic_map_html"], title)
        plots.write_map_png(data, self.paths["topic_map_png"], title)
        plots.write_barchart(data, self.paths["topic_barchart_html"], self.paths["topic_barchart_png"])
