"""The topic map: labelled bubbles sized by passages, coloured by best code, readable as a picture."""

from __future__ import annotations

import json
import re

import numpy as np

from ottext.topics import plots
from ottext.topics.plots import GREY, SHORT, map_data, place_labels, short_label

NAMES = {"safe_workload": "Safe workloads and case allocation", "cpd": "Continuing professional development",
         "registration": "Professional registration"}
LABELS = ["Waiting list / caseload / duty", "CPD record / HCPC", "Supervision", "Hot desking / laptop / office"]


def _tables(best: list[tuple[str, float]], sizes=(40, 25, 10, 5)):
    table = [{"topic": i, "label": label, "size": size, "top_terms": "a; b"}
             for i, (label, size) in enumerate(zip(LABELS, sizes, strict=True))]
    by_code = [{"topic": i, "best_code": code, "best_share": share} for i, (code, share) in enumerate(best)]
    return table, by_code


def _centroids(n: int = 4) -> list[np.ndarray]:
    vectors = np.random.default_rng(0).normal(size=(n, 16))
    return list(vectors / np.linalg.norm(vectors, axis=1, keepdims=True))


def _data(best):
    table, by_code = _tables(best)
    return map_data(table, by_code, _centroids(), NAMES, 0.4)


def test_bubbles_carry_short_labels_and_grow_with_passages():
    data = _data([("safe_workload", 0.8), ("cpd", 0.6), ("registration", 0.5), ("safe_workload", 0.5)])
    assert data.texts[0].startswith("0: Waiting list") and data.texts[2] == "2: Supervision"
    assert all(len(t.split(": ", 1)[1]) <= SHORT for t in data.texts)
    d = data.diameters
    assert d[0] > d[1] > d[2] > d[3]
    assert np.isclose((d[0] / d[1]) ** 2, 40 / 25)  # area goes with passages


def test_bubbles_are_coloured_by_best_code_with_a_legend():
    data = _data([("safe_workload", 0.8), ("cpd", 0.6), ("registration", 0.1), ("safe_workload", 0.5)])
    assert data.colours[0] == data.colours[3] != data.colours[1]
    assert data.colours[2] == GREY  # no code on 40% of its passages
    assert [name for name, _ in data.legend] == [NAMES["safe_workload"], NAMES["cpd"], plots.NO_CODE.format(0.4)]
    uncoded = _data([("safe_workload", 0.0)] * 4)
    assert set(uncoded.colours) == {GREY} and len(uncoded.legend) == 1


def test_short_labels_cut_at_a_word():
    assert short_label("Waiting list") == "Waiting list"
    cut = short_label("Practice educator / training / learning")
    assert len(cut) <= SHORT and cut.endswith("\u2026") and cut == "Practice educator\u2026"


def test_labels_are_pushed_apart_where_they_would_overlap():
    xy = np.array([[300.0, 300.0], [302.0, 301.0], [305.0, 298.0], [700.0, 500.0]])
    texts = ["0: Waiting list", "1: CPD record / HCPC", "2: Supervision", "3: Hot desking / laptop"]
    pos = place_labels(xy, np.full(4, 30.0), texts)
    boxes = np.array([plots._box(t) for t in texts])
    for i in range(4):
        for j in range(i + 1, 4):
            overlap = (boxes[i] + boxes[j]) / 2 - np.abs(pos[i] - pos[j])
            assert not (overlap > 0.5).all(), (texts[i], texts[j])
    assert np.array_equal(pos, place_labels(xy, np.full(4, 30.0), texts))  # the same picture every run


def test_map_files_show_labels_sizes_colours_and_legend(tmp_path):
    data = _data([("safe_workload", 0.8), ("cpd", 0.6), ("registration", 0.5), ("safe_workload", 0.5)])
    plots.write_map_html(data, tmp_path / "map.html", "map")
    plots.write_map_png(data, tmp_path / "map.png", "map")
    html = (tmp_path / "map.html").read_text(encoding="utf-8")
    start = re.search(r"Plotly\.newPlot\(\s*\"topic_map\",\s*", html).end()
    figure, end = json.JSONDecoder().raw_decode(html, start)
    layout, _ = json.JSONDecoder().raw_decode(html, re.compile(r",\s*").match(html, end).end())
    names = [trace["name"] for trace in figure]
    assert names == [NAMES["safe_workload"], NAMES["cpd"], NAMES["registration"]]
    assert len({trace["marker"]["color"] for trace in figure}) == 3
    sizes = [s for trace in figure for s in trace["marker"]["size"]]
    assert len(set(np.round(sizes, 3))) == 4
    assert [a["text"] for a in layout["annotations"]] == data.texts
    png = (tmp_path / "map.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width >= 1600 and height >= 1000  # drawn at 1.5 pixels a point: 13 pt labels read at full size
