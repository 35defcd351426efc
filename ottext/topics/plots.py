"""The topic plots: the intertopic map (self-contained HTML and PNG) and passages per topic (HTML and PNG).

Each bubble carries its topic's short label, its area grows with the topic's passages, and its
colour is the topic's best code (the code on most of its passages, as in ``topic_by_code.csv``),
grey where no code reaches ``WELL_COVERED`` of them. Labels are placed by a small deterministic
repulsion in pixel space, so the same topics give the same picture and labels seldom overlap.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ottext.export.files import atomic_write

SHORT = 25  # characters of a topic label on the map
GREY = "#9a9a9a"
NO_CODE = "no code on {:.0%} of its passages"
# a qualitative palette (matplotlib's tab10, then the light tab20 shades), in codebook order
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22",
           "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2",
           "#dbdb8d", "#9edae5"]
WIDTH, HEIGHT = 1000, 720  # the map's plotting area, in pixels (both outputs)
FONT = 13  # label size: pixels in the HTML, points in the PNG (laid out at a point a pixel)
MAX_BUBBLE, MIN_BUBBLE = 80, 12  # bubble diameters in pixels
PNG_SCALE = 1.5  # the PNG is drawn at 1.5 pixels per point


@dataclass
class MapData:
    """What the map draws, one entry per topic (in the topic table's order)."""

    names: list[str]  # "id: label"
    texts: list[str]  # the bubble labels: "id: label" with the label cut to ``SHORT`` characters
    hover: list[str]
    sizes: list[int]
    colours: list[str]
    groups: list[str]  # the legend entry of each topic
    legend: list[tuple[str, str]]  # (entry, colour) in codebook order, the grey entry last
    xy: np.ndarray  # bubble centres in plot pixels, origin bottom left
    label_xy: np.ndarray  # label centres in plot pixels

    @property
    def diameters(self) -> np.ndarray:
        top = max(max(self.sizes), 1)
        return np.maximum(MIN_BUBBLE, MAX_BUBBLE * np.sqrt(np.asarray(self.sizes, float) / top))  # area ~ passages


def short_label(label: str, width: int = SHORT) -> str:
    """The label cut at a word boundary to at most ``width`` characters, with an ellipsis if cut."""
    if len(label) <= width:
        return label
    cut = label[:width - 1].rsplit(" ", 1)[0].rstrip(" /")
    return (cut or label[:width - 1]) + "\u2026"


def map_data(table: list[dict], by_code: list[dict], centroids: list[np.ndarray], code_names: dict[str, str],
             well_covered: float) -> MapData:
    """Positions, labels, sizes and colours of the map's bubbles."""
    order = list(code_names)
    colour_of = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(order)}
    best = {r["topic"]: r for r in by_code}
    groups, colours = [], []
    for r in table:
        b = best.get(r["topic"], {})
        code = b.get("best_code", "") if b.get("best_share", 0.0) >= well_covered else ""
        groups.append(code_names.get(code, code) if code else NO_CODE.format(well_covered))
        colours.append(colour_of.get(code, GREY))
    present = set(groups)
    legend = [(code_names[c], colour_of[c]) for c in order if code_names[c] in present]
    legend += [(g, GREY) for g in sorted(present - {name for name, _ in legend})]
    sizes = [int(r["size"]) for r in table]
    hover = [f"{r['topic']}: {r['label']}<br>{r['size']} passages<br>best code: "
             f"{best.get(r['topic'], {}).get('best_code') or '-'} "
             f"({best.get(r['topic'], {}).get('best_share', 0.0):.0%})<br>{r['top_terms']}" for r in table]
    data = MapData([f"{r['topic']}: {r['label']}" for r in table],
                   [f"{r['topic']}: {short_label(r['label'])}" for r in table], hover, sizes, colours, groups,
                   legend, np.zeros((len(table), 2)), np.zeros((len(table), 2)))
    data.xy = _to_pixels(pca2(np.vstack(centroids)), data.diameters)
    data.label_xy = place_labels(data.xy, data.diameters, data.texts)
    return data


def pca2(x: np.ndarray) -> np.ndarray:
    """Two principal components of the centroids, each signed so its largest value is positive
    (the same map whatever sign the SVD gives)."""
    if len(x) < 3:
        return np.column_stack([np.arange(len(x), dtype=float), np.zeros(len(x))])
    centred = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    xy = centred @ vt[:2].T
    return xy * np.where(xy[np.abs(xy).argmax(axis=0), [0, 1]] < 0, -1.0, 1.0)


def _to_pixels(xy: np.ndarray, diameters: np.ndarray) -> np.ndarray:
    """The PCA coordinates scaled into the plotting area, a margin left for bubbles and labels."""
    margin = np.array([150.0, 60.0]) + diameters.max() / 2
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    span = np.where(hi - lo > 1e-9, hi - lo, 1.0)
    room = np.array([WIDTH, HEIGHT]) - 2 * margin
    return margin + (xy - lo) / span * room + np.where(hi - lo > 1e-9, 0.0, room / 2)


def _box(text: str) -> np.ndarray:
    """A label's width and height in pixels (an estimate from its characters)."""
    return np.array([0.6 * FONT * len(text) + 6, 1.4 * FONT + 4])


def place_labels(xy: np.ndarray, diameters: np.ndarray, texts: list[str], rounds: int = 300) -> np.ndarray:
    """Label centres, starting just above each bubble and pushed apart where a label overlaps
    another label or another topic's bubble, kept inside the plotting area; deterministic."""
    n = len(texts)
    boxes = np.array([_box(t) for t in texts]).reshape(-1, 2)
    pos = xy + np.column_stack([np.zeros(n), diameters / 2 + boxes[:, 1] / 2 + 2])
    lo, hi = boxes / 2, np.array([WIDTH, HEIGHT]) - boxes / 2
    others = ~np.eye(n, dtype=bool)
    tie = np.where(np.arange(n)[:, None] < np.arange(n)[None, :], 1.0, -1.0)  # who goes which way on a tie
    circles = np.repeat(diameters[:, None] / 2, 2, axis=1)
    for _ in range(rounds):
        push = np.zeros_like(pos)
        for centres, half in ((pos, boxes / 2), (xy, circles)):
            gap = pos[:, None, :] - centres[None, :, :]
            overlap = boxes[:, None, :] / 2 + half[None, :, :] - np.abs(gap)
            hit = (overlap > 0).all(axis=2) & others
            sideways = overlap[..., 1] > 1.5 * overlap[..., 0]  # side by side: move left or right
            for axis, along in ((0, sideways), (1, ~sideways)):
                way = np.where(gap[..., axis] != 0, np.sign(gap[..., axis]), tie)
                push[:, axis] += np.where(hit & along, way * (overlap[..., axis] / 2 + 1), 0.0).sum(axis=1)
        if not push.any():
            break
        pos = np.clip(pos + push, lo, hi)
    return pos


def write_map_html(data: MapData, path: Path, title: str) -> None:
    import plotly.graph_objects as go

    fig = go.Figure()
    d = data.diameters
    for entry, colour in data.legend:
        idx = [i for i, g in enumerate(data.groups) if g == entry]
        fig.add_trace(go.Scatter(
            x=data.xy[idx, 0].tolist(), y=data.xy[idx, 1].tolist(), mode="markers", name=entry,
            hovertext=[data.hover[i] for i in idx], hoverinfo="text",
            marker={"size": d[idx].tolist(), "color": colour, "opacity": 0.7,
                                      "line": {"width": 1, "color": "#333333"}}))
    for i, text in enumerate(data.texts):
        dx, dy = data.label_xy[i] - data.xy[i]
        fig.add_annotation(x=float(data.xy[i, 0]), y=float(data.xy[i, 1]), text=text, showarrow=True, ax=float(dx),
                           ay=float(-dy), arrowwidth=0.6, arrowcolor="#777777", arrowhead=0, standoff=float(d[i] / 2),
                           font={"size": FONT, "color": "#111111"}, bgcolor="rgba(255,255,255,0.7)")
    axis = {"range": [0, WIDTH], "visible": False, "fixedrange": False}
    fig.update_layout(title=title, template="plotly_white", width=WIDTH + 380, height=HEIGHT + 90,
                      margin={"l": 10, "r": 370, "t": 60, "b": 30}, showlegend=True,
                      legend={"title": {"text": "best code"}, "itemsizing": "constant", "x": 1.02, "y": 1},
                      xaxis=axis, yaxis={**axis, "range": [0, HEIGHT]})
    _write_html(fig, path, "topic_map")


def write_map_png(data: MapData, path: Path, title: str) -> None:
    plt = _pyplot()
    from matplotlib.lines import Line2D

    fig = plt.figure(figsize=((WIDTH + 380) / 72, (HEIGHT + 90) / 72), dpi=72 * PNG_SCALE)  # placed in points
    ax = fig.add_axes((10 / (WIDTH + 380), 30 / (HEIGHT + 90), WIDTH / (WIDTH + 380), HEIGHT / (HEIGHT + 90)))
    ax.set_xlim(0, WIDTH)
    ax.set_ylim(0, HEIGHT)
    ax.set_axis_off()
    ax.scatter(data.xy[:, 0], data.xy[:, 1], s=data.diameters ** 2, c=data.colours, alpha=0.7,
               edgecolors="#333333", linewidths=0.8)
    for i, text in enumerate(data.texts):
        far = np.linalg.norm(data.label_xy[i] - data.xy[i]) > data.diameters[i] / 2 + _box(text)[1]
        ax.annotate(text, xy=tuple(data.xy[i]), xytext=tuple(data.label_xy[i]), ha="center", va="center",
                    fontsize=FONT, color="#111111",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7},
                    arrowprops={"arrowstyle": "-", "color": "#777777", "lw": 0.6, "shrinkA": 0,
                                "shrinkB": data.diameters[i] / 2} if far else None)
    handles = [Line2D([], [], marker="o", linestyle="", markersize=10, markerfacecolor=c, markeredgecolor="#333333",
                      label=entry) for entry, c in data.legend]
    fig.legend(handles=handles, title="best code", loc="upper left", fontsize=FONT, title_fontsize=FONT,
               bbox_to_anchor=((WIDTH + 20) / (WIDTH + 380), 0.93), frameon=False)
    fig.suptitle(title, fontsize=FONT + 4, x=0.02, ha="left")
    _save_png(fig, path)


def write_barchart(data: MapData, html: Path, png: Path) -> None:
    """Passages per topic, bars coloured as the map's bubbles, with the same legend."""
    import plotly.graph_objects as go

    bar = go.Figure()
    for entry, colour in data.legend:
        idx = [i for i, g in enumerate(data.groups) if g == entry][::-1]
        bar.add_trace(go.Bar(x=[data.sizes[i] for i in idx], y=[data.names[i] for i in idx], orientation="h",
                             name=entry, marker={"color": colour}, hovertext=[data.hover[i] for i in idx],
                             hoverinfo="text"))
    bar.update_layout(title="Passages per topic", height=max(300, 28 * len(data.sizes) + 120),
                      margin={"l": 360}, template="plotly_white", legend={"title": {"text": "best code"}},
                      yaxis={"categoryorder": "array", "categoryarray": data.names[::-1]})
    _write_html(bar, html, "topic_barchart")
    plt = _pyplot()
    from matplotlib.patches import Patch

    fig, ax = plt.subplots(figsize=(14, max(3.5, 0.42 * len(data.sizes) + 1.5)), dpi=100)
    ax.barh(data.names[::-1], data.sizes[::-1], color=data.colours[::-1])
    ax.set_xlabel("passages", fontsize=12)
    ax.tick_params(labelsize=12)
    ax.set_title("Passages per topic (colour: best code, as on the topic map)", fontsize=13)
    ax.legend(handles=[Patch(color=c, label=entry) for entry, c in data.legend], title="best code",
              loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=11, title_fontsize=11, frameon=False)
    fig.tight_layout()
    _save_png(fig, png)


def _write_html(fig, path: Path, div_id: str) -> None:
    with atomic_write(path, encoding="utf-8") as fh:
        # self-contained (no network); a fixed div id so the same data gives the same file
        fh.write(fig.to_html(include_plotlyjs=True, full_html=True, div_id=div_id))


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save_png(fig, path: Path) -> None:
    plt = _pyplot()
    with atomic_write(path, mode="wb") as fh:
        fig.savefig(fh, format="png", metadata={"Software": None})
    plt.close(fig)
