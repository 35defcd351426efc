"""`ottext forget`: a respondent's data leaves the store and every export, and stays gone."""

from __future__ import annotations

import csv
import zipfile

import numpy as np
import pytest
from typer.testing import CliRunner

from ottext.cli import app
from ottext.errors import StoreError
from ottext.forget import forget
from ottext.run import RunOptions, run_project

MARKER = "quarrybank zebra"
ANSWERS = [
    "Supervision every month with a senior OT keeps me safe and I value it.",
    "The waiting list is over three hundred and we cannot keep up with demand.",
    "My manager protects time for CPD and I have done two courses this year.",
    "We have two vacancies and agency staff come and go, so caseloads climb.",
    "I am proud of the difference we make to people living at home.",
    "Hot desking means I never know where I will sit or find a quiet room.",
]


def _write_survey(path, n: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["respondent_id", "What helps?", "What gets in the way?"])
        for i in range(1, n + 1):
            helps, hinders = ANSWERS[i % 6], ANSWERS[(i + 3) % 6]
            if i == 7:
                helps = f"Our {MARKER} team social worker link is what helps me most with complex cases."
                hinders = f"Parking at the {MARKER} office takes half an hour every single morning."
            w.writerow([f"R{i:02d}", f"{helps} ({i})", f"{hinders} ({i})"])


def _everything_written(project) -> str:
    """Every byte the project holds, with xlsx and qdpx unzipped, as text."""
    parts = []
    for path in sorted(project.rglob("*")):
        if not path.is_file():
            continue
        if path.suffix in (".xlsx", ".qdpx"):
            with zipfile.ZipFile(path) as zf:
                parts += [zf.read(n).decode("utf-8", "replace") for n in zf.namelist()]
        else:
            parts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(parts).lower()


@pytest.fixture(scope="module")
def forgotten_project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("forget")
    _write_survey(folder / "survey.csv", 14)
    (folder / "interview.txt").write_text(
        "Q: What helps?\nA: Having a principal OT from Wyrmhollow on the senior team.\n", encoding="utf-8")
    project = folder / "project"
    run_project([folder / "survey.csv", folder / "interview.txt"], project, RunOptions(model="blank"))
    before = _everything_written(project)
    result = forget(project, respondent="R07")
    return folder, project, before, result


def test_forget_removes_the_respondent_from_store_and_every_export(forgotten_project):
    _, project, before, result = forgotten_project
    assert MARKER in before and (project / "exports" / "project.qdpx").is_file()
    assert result.documents == 2 and result.passages >= 2 and result.codings == 13 * result.passages
    assert result.embeddings >= 2 and len(result.exports_rewritten) >= 20
    assert MARKER not in _everything_written(project)  # the database file (pages overwritten) and every export
    view = project / "cache" / "coded_view.npz"  # the exports' cache is rebuilt without them
    with np.load(view, allow_pickle=False) as saved:
        assert saved["people"].size and not any(p.endswith("#R07") for p in saved["people"].tolist())


def test_forgotten_respondent_is_skipped_when_the_survey_is_read_again(forgotten_project):
    folder, project, _, _ = forgotten_project
    _write_survey(folder / "survey.csv", 15)  # a new response arrives; the file is read again
    summary = run_project([folder / "survey.csv", folder / "interview.txt"], project, RunOptions(model="blank"))
    assert summary.documents_forgotten == 2 and summary.documents_new == 2
    assert MARKER not in _everything_written(project)


def test_unknown_respondent_is_a_one_line_error_and_changes_nothing(forgotten_project, tmp_path):
    _, project, _, _ = forgotten_project
    db = (project / "project.db").read_bytes()
    with pytest.raises(StoreError, match="no respondent 'R99'"):
        forget(project, respondent="R99")
    assert (project / "project.db").read_bytes() == db
    result = CliRunner().invoke(app, ["forget", "--respondent", "R99", "--project", str(project)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.strip().count("\n") == 0 and "R99" in result.output
    result = CliRunner().invoke(app, ["forget", "--project", str(project)])
    assert result.exit_code == 2  # neither --respondent nor --source
    result = CliRunner().invoke(app, ["forget", "--respondent", "R01", "--project", str(tmp_path / "none")])
    assert result.exit_code == 1 and "no project here" in result.output


def test_forget_a_source_file_and_later_runs_do_not_read_it(forgotten_project):
    folder, project, before, _ = forgotten_project
    assert "wyrmhollow" in before
    result = CliRunner().invoke(app, ["forget", "--source", "interview.txt", "--project", str(project)])
    assert result.exit_code == 0, result.output
    assert "Forgot source 'interview.txt': 1 documents" in result.output
    (folder / "interview.txt").write_text("Q: What helps?\nA: Still a principal OT from Wyrmhollow.\n",
                                          encoding="utf-8")
    summary = run_project([folder / "survey.csv", folder / "interview.txt"], project, RunOptions(model="blank"))
    assert any("ottext forget" in w for w in summary.warnings)
    assert "wyrmhollow" not in _everything_written(project)


def test_a_model_retrained_on_the_respondents_passages_is_removed(forgotten_project):
    import json
    import sqlite3

    _, project, _, _ = forgotten_project
    db = sqlite3.connect(project / "project.db")
    pid = db.execute("SELECT p.id FROM passages p JOIN documents d ON d.id = p.document_id"
                     " WHERE d.respondent = 'R03' LIMIT 1").fetchone()[0]
    db.close()
    trained, other = project / "model" / "ottext-lga-minilm", project / "model" / "ottext-lga-static"
    for folder, ids in ((trained, ["a-0001", pid]), (other, ["a-0001"])):
        folder.mkdir(parents=True)
        (folder / "model.json").write_text(json.dumps({"train_ids": ids}), encoding="utf-8")
    result = forget(project, respondent="R03")
    assert result.models_removed == [str(trained)] and not trained.exists() and other.exists()


def test_forget_clears_the_export_cache_even_when_an_export_is_no_longer_written(tmp_path, monkeypatch):
    _write_survey(tmp_path / "survey.csv", 14)
    project = tmp_path / "project"
    run_project([tmp_path / "survey.csv"], project, RunOptions(model="blank", topics=False))
    assert MARKER in (project / "cache" / "coded_wide.rows.xml").read_text(encoding="utf-8").lower()
    monkeypatch.setattr("ottext.export.bundle.AUTO_HEAVY_LIMIT", 0)  # the workbook is no longer written
    forget(project, respondent="R07")
    assert MARKER not in _everything_written(project)
