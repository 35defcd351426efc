"""The review loop: a coder's edits override the model everywhere and survive re-runs and retrains."""

from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from ottext.cli import app
from ottext.run import RunOptions, run_project

ANSWERS = ["No admin support and the laptop crashes every afternoon",
           "My supervision keeps getting cancelled because of duty",
           "We have had three OT vacancies for over a year now",
           "The HCPC fee went up again and the council will not pay it"]


def passage(project, pid):
    rows = [json.loads(line) for line in (project / "exports" / "passages.jsonl").read_text().splitlines()]
    return next(r for r in rows if r["id"] == pid)


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("review")
    (folder / "s.csv").write_text("id,What gets in the way?\n" + "".join(f"R{i},{a}\n" for i, a in enumerate(ANSWERS)))
    project = folder / "p"
    run_project([folder / "s.csv"], project, RunOptions(model="blank", topics=False))
    runner = CliRunner()
    res = runner.invoke(app, ["review", "export", "-p", str(project), "-o", str(folder / "review.xlsx")])
    assert res.exit_code == 0, res.output
    wb = load_workbook(folder / "review.xlsx")
    ws = wb["review"]
    header = [c.value for c in ws[1]]
    row = 2
    pid = ws.cell(row, header.index("passage_id") + 1).value
    predicted = ws.cell(row, header.index("codes") + 1).value.split(";")
    removed = predicted[-1]
    added = next(c for c in ("pride_satisfaction", "partnerships", "registration") if c not in predicted)
    ws.cell(row, header.index(f"decide:{removed}") + 1).value = 0
    ws.cell(row, header.index(f"decide:{added}") + 1).value = 1
    ws.cell(3, header.index("decide:cpd") + 1).value = "perhaps"
    wb.save(folder / "review.xlsx")
    res = runner.invoke(app, ["review", "import", str(folder / "review.xlsx"), "--coder", "Alice", "-p", str(project)])
    assert res.exit_code == 0, res.output
    assert "Stored 2 decisions by Alice" in res.output and "decide:cpd is 'perhaps'" in res.stderr
    return folder, project, pid, removed, added


def test_decisions_override_the_model_in_exports(reviewed):
    folder, project, pid, removed, added = reviewed
    run_project([folder / "s.csv"], project, RunOptions(model="blank", topics=False))
    row = passage(project, pid)
    assert added in row["codes"] and removed not in row["codes"]
    long_csv = (project / "exports" / "coded_long.csv").read_text()
    assert f"{pid}" in long_csv and "reviewed by Alice" in long_csv


def test_decisions_survive_a_rerun_with_new_data(reviewed):
    folder, project, pid, removed, added = reviewed
    (folder / "more.txt").write_text("Interviewer: What helps?\nP1: A manager who trusts my judgement.\n")
    run_project([folder / "s.csv", folder / "more.txt"], project, RunOptions(model="blank", topics=False))
    row = passage(project, pid)
    assert added in row["codes"] and removed not in row["codes"]


def test_agreement_between_coder_and_model(reviewed):
    _, project, *_ = reviewed
    res = CliRunner().invoke(app, ["agreement", "-p", str(project), "--json"])
    assert res.exit_code == 0, res.output
    pair = json.loads(res.stdout)["coder:Alice vs model"]
    assert pair["decisions"] == 2 and pair["passages"] == 1


def test_decisions_survive_a_retrain_with_reviews(reviewed, minilm):
    from ottext.classify.locate import DEFAULT_MODEL_NAME, default_corpus_dir
    from ottext.classify.train import train_model
    from ottext.codebook import load_codebook
    from ottext.review import reviewed_passages
    from ottext.store import Store

    folder, project, pid, removed, added = reviewed
    cb = load_codebook()
    with Store(project) as store:
        extra = reviewed_passages(store, cb)
    assert [e.id for e in extra] == [f"review:{pid}"] and added in extra[0].codes
    report = train_model(default_corpus_dir(), cb, project / "model" / DEFAULT_MODEL_NAME, minilm,
                         extra=extra, params={"cv": 2})
    moved = report.review_thresholds
    # a reviewed row counts for every code in force on it, not only those decided: blanks keep the model's decision
    assert all(moved[c]["reviewed_positives"] == 1 for c in extra[0].codes) and len(extra[0].codes) > 1
    assert moved[added]["reviewed_positives"] == 1 and moved[removed]["reviewed_positives"] == 0
    assert moved[removed]["threshold"] == moved[removed]["corpus"]  # no positive decision: not moved
    card = (project / "model" / DEFAULT_MODEL_NAME / "model_card.md").read_text()
    assert f"| {added} | {moved[added]['threshold']:.3f} | {moved[added]['corpus']:.3f} | 1 |" in card
    summary = run_project([folder / "s.csv", folder / "more.txt"], project, RunOptions(model="blank", topics=False))
    assert summary.model_version == report.version and summary.passages_coded >= len(ANSWERS)
    row = passage(project, pid)
    assert row["model_version"] == report.version
    assert added in row["codes"] and removed not in row["codes"]


def test_bad_review_files_get_one_line(reviewed, tmp_path):
    _, project, *_ = reviewed
    runner = CliRunner()
    (tmp_path / "notes.xlsx").write_text("not a workbook")
    bad = runner.invoke(app, ["review", "import", str(tmp_path / "notes.xlsx"), "--coder", "Bob", "-p", str(project)])
    assert bad.exit_code == 1 and "notes.xlsx: not a readable spreadsheet" in bad.stderr
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["id", "decide:cpd"])
    wb.save(tmp_path / "other.xlsx")
    other = runner.invoke(app, ["review", "import", str(tmp_path / "other.xlsx"), "--coder", "Bob", "-p", str(project)])
    assert other.exit_code == 1 and "not an ottext review workbook" in other.stderr
    name = runner.invoke(app, ["review", "import", str(tmp_path / "other.xlsx"), "--coder", "<script>", "-p",
                               str(project)])
    assert name.exit_code == 2


def test_review_queue_puts_the_passages_most_likely_wrong_first(tmp_path):
    """`review export` orders rows by the chance that the whole set of codes is right, lowest
    first, and shows that chance: the product over codes of the score (given) or 1 - score (not)."""
    import numpy as np

    rows = "".join(f"R{i},{a}\n" for i, a in enumerate(ANSWERS))
    (tmp_path / "s.csv").write_text("id,What gets in the way?\n" + rows)
    run_project([tmp_path / "s.csv"], tmp_path / "p", RunOptions(model="blank", topics=False))
    res = CliRunner().invoke(app, ["review", "export", "-p", str(tmp_path / "p"), "-o", str(tmp_path / "r.xlsx")])
    assert res.exit_code == 0, res.output
    ws = load_workbook(tmp_path / "r.xlsx")["review"]
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, [c.value for c in r], strict=True)) for r in ws.iter_rows(min_row=2)]
    chances = [r["chance_codes_right"] for r in rows]
    assert len(rows) == len(ANSWERS) and chances == sorted(chances) and all(0 <= c <= 1 for c in chances)
    for r in rows:
        given = set((r["codes"] or "").split(";")) - {""}
        scores = {h[len("score:"):]: v for h, v in r.items() if h.startswith("score:")}
        expected = np.prod([s if c in given else 1 - s for c, s in scores.items()])
        assert abs(expected - r["chance_codes_right"]) < 1e-3
