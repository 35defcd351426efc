"""The HTML report: its numbers, that it is self-contained, and that Chromium renders its charts."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from conftest import DEMO, FakeEmbedder

from ottext.codebook import load_codebook
from ottext.embed import CachedEmbedder
from ottext.report import build_report, report_data
from ottext.run import RunOptions, run_project
from ottext.scores import health_check_scores
from ottext.store import Store


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    run_project([DEMO / "health_check_survey.csv"], folder / "p", RunOptions(model="blank", topics=False))
    return folder


def test_summary_counts_respondents_and_shares(project):
    cb = load_codebook()
    with Store(project / "p") as store:
        data = report_data(store, cb)
    assert data["by"] == "role" and data["respondents"] <= 150
    for m in data["per_code"].values():
        assert m["respondents"] <= m["passages"] and 0 <= m["share"] <= 1
        assert m["share"] == pytest.approx(m["respondents"] / data["respondents"], abs=0.001)
    i = cb.ids.index("wellbeing")
    j = cb.ids.index("environment_resources")
    assert data["cooccurrence"][i][j] == data["per_code"]["environment_resources"]["passages"]
    assert sum(data["group_sizes"].values()) == data["respondents"]


@pytest.fixture(scope="module")
def report_html(project, tmp_path_factory):
    cb = load_codebook()
    scores = health_check_scores(None, DEMO / "likert_map.yaml", cb.ids)
    with Store(project / "p") as store:
        html = build_report(store, cb, CachedEmbedder(FakeEmbedder(), store), scores, title="Test report")
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(html, encoding="utf-8")
    return path


def test_report_is_self_contained_with_every_section(report_html):
    html = report_html.read_text()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    for anchor in ("summary", "frequency", "cooccurrence", "by", "quotes"):
        assert f"id='{anchor}'" in html
    assert html.count("<svg") == 3 and "band-low" in html and "<blockquote>" in html


def test_chromium_renders_the_charts(report_html, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (.ci/run installs it)")
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]
    shot = tmp_path / "report.png"
    subprocess.run(flags + [f"--screenshot={shot}", "--window-size=1200,2000", report_html.as_uri()],
                   check=True, capture_output=True, timeout=120)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000
    dom = subprocess.run(flags + ["--dump-dom", report_html.as_uri()], check=True, capture_output=True,
                         text=True, timeout=120).stdout
    assert dom.count("<svg") == 3 and dom.count('class="bar"') == 13 and dom.count('class="cell"') >= 13 * 13


def test_report_counts_respondents_and_documents_apart(project, report_html):
    from ottext.report import _who

    with Store(project / "p") as store:
        data = report_data(store, load_codebook())
    assert data["survey_respondents"] == data["respondents"] and data["other_documents"] == 0
    html = report_html.read_text()
    assert f"from {data['respondents']} respondents;" in html and "respondents or documents" not in html
    assert _who({"survey_respondents": 0, "other_documents": 3}) == "3 documents"
    assert _who({"survey_respondents": 152, "other_documents": 1}) == "152 respondents and 1 document"


def test_report_keeps_the_health_check_scores_the_run_showed(tmp_path, project):
    """`ottext report` with no --survey/--map uses the Likert map the last run exported with."""
    from typer.testing import CliRunner

    from ottext.cli import app

    with_map = tmp_path / "with_map"
    run_project([DEMO / "health_check_survey.csv"], with_map,
                RunOptions(model="blank", topics=False, likert_map=DEMO / "likert_map.yaml"))
    for folder, scored in ((with_map, True), (project / "p", False)):
        out = tmp_path / f"{folder.name}.html"
        res = CliRunner().invoke(app, ["report", "-p", str(folder), "--out", str(out)])
        assert res.exit_code == 0, res.output
        assert ("<span class='band-" in out.read_text(encoding="utf-8")) is scored
