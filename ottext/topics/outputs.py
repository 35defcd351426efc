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
    topic_map.html, topic_barchart.html and .png (``tables``: ``topic_tables`` already made)."""
    table, by_code = tables or topic_tables(store, codebook)
    paths = _paths(out_dir)
    _write_csv(paths["topics"], table)
    _write_csv(paths["topic_by_code"], by_code)
    if plots:
        TopicPlots(table, [t["centroid"] for t in store.topics()], out_dir)()
    return paths


def _paths(out_dir: Path) -> dict[str, Path]:
    from ottext.export.tabular import export_paths

    return {k: v for k, v in export_paths(out_dir, topics=True).items() if k.startswith("topic")}


class TopicPlots:
    """The topic plots from the topic table and the centroids: a job that needs no database, so a
    child process can draw them while the parent writes other files."""

    def __init__(self, table: list[dict], centroids: list[np.ndarray], out_dir: Path) -> None:
        self.table, self.centroids, self.paths = table, centroids, _paths(out_dir)

    def __call__(self) -> None:
        if self.table:
            _plots(self.table, self.centroids, self.paths)


def _plots(table: list[dict], centroids: list[np.ndarray], paths: dict[str, Path]) -> None:
    import plotly.graph_objects as go

    labels = [f"{r['topic']}: {r['label']}" for r in table]
    sizes = [r["size"] for r in table]
    bar = go.Figure(go.Bar(x=sizes[::-1], y=labels[::-1], orientation="h",
                           hovertext=[r["top_terms"] for r in table][::-1]))
    bar.update_layout(title="Passages per topic", height=max(300, 28 * len(table) + 120),
                      margin={"l": 320}, template="plotly_white")
    xy = _pca2(np.vstack(centroids))
    scatter = go.Figure(go.Scatter(
        x=xy[:, 0], y=xy[:, 1], mode="markers+text", text=[str(r["topic"]) for r in table],
        hovertext=labels, marker={"size": [12 + 40 * np.sqrt(s / max(sizes)) for s in sizes], "opacity": 0.6}))
    scatter.update_layout(title="Intertopic map (PCA of topic centroids; bubble area = passages)",
                          template="plotly_white", xaxis_title="PC1", yaxis_title="PC2")
    for key, fig in (("topic_barchart_html", bar), ("topic_map_html", scatter)):
        with atomic_write(paths[key], encoding="utf-8") as fh:
            # self-contained (no network); a fixed div id so the same data gives the same file
            fh.write(fig.to_html(include_plotlyjs=True, full_html=True, div_id=key.replace("_html", "")))
    _png_barchart(labels, sizes, paths["topic_barchart_png"])


def _pca2(x: np.ndarray) -> np.ndarray:
    if len(x) < 3:
        return np.column_stack([np.arange(len(x), dtype=float), np.zeros(len(x))])
    centred = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt[:2].T


def _png_barchart(labels: list[str], sizes: list[int], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, max(3, 0.4 * len(labels) + 1)))
    ax.barh(labels[::-1], sizes[::-1], color="#4c72b0")
    ax.set_xlabel("passages")
    ax.set_title("Passages per topic")
    fig.tight_layout()
    with atomic_write(path, mode="wb") as fh:
        fig.savefig(fh, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)
