"""What each hostile or awkward output situation gets:

- markup in a passage (``<script>``, ``<img onerror=...>``) -> escaped in Markdown quote packs;
- U+FFFE / U+FFFF / control characters in a passage -> dropped from the review workbook, no crash;
- ``--out`` onto a symlink, FIFO, device or folder -> exit 1, one line naming it (E310), target untouched;
- ``ottext diff`` with no finished run -> exit 1 and one line (E311), with and without ``--json``;
- export/report/quotes/review export while a run is going on or after one was killed -> the output is
  written, exit 0, and a warning on stderr says the project is mid-run (W301).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import zipfile

import pytest
from typer.testing import CliRunner

from ottext.cli import app
from ottext.run import RunOptions, run_project

HOSTILE = [
    "respondent_id,role,What gets in the way?",
    'R1,OT,"The waiting list is long <script>alert(1)</script> and caseloads keep growing every single week '
    'for all of us in the team, with no end in sight"',
    'R2,OT,"Supervision is cancelled <img src=x onerror=alert(2)> whenever duty is busy, which is most weeks '
    'now, and nobody seems to mind at all"',
    "R3,OT,\"Caseloads \ufffe are far too high \uffff and we have two vacancies \x01 that nobody will fund for now\"",
]
EXPORTS = [
    ["export", "-f", "csv"],
    ["report"],
    ["quotes", "--code", "safe_workload"],
    ["review", "export"],
]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    (folder / "survey.csv").write_text("\n".join(HOSTILE) + "\n", encoding="utf-8")
    run_project([folder / "survey.csv"], folder / "p", RunOptions(model="blank", topics=False))
    return folder / "p"


def _cli(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_markdown_quote_packs_escape_markup(project, tmp_path):
    out = tmp_path / "q.md"
    result = _cli("quotes", "-p", project, "--code", "safe_workload", "--n", "5", "-o", out)
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "&lt;script&gt;" in text or "&lt;img" in text
    assert "<script" not in text and "<img" not in text


def test_review_export_drops_characters_xml_cannot_hold(project, tmp_path):
    out = tmp_path / "review.xlsx"
    result = _cli("review", "export", "-p", project, "-o", out)
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as zf:
        xml = b"".join(zf.read(n) for n in zf.namelist() if n.endswith(".xml")).decode("utf-8")
    assert "two vacancies" in xml and "\ufffe" not in xml and "\uffff" not in xml and "\x01" not in xml


@pytest.mark.parametrize("command", EXPORTS, ids=lambda c: " ".join(c[:2]))
@pytest.mark.parametrize("kind", ["symlink", "fifo", "folder"])
def test_out_onto_something_not_a_regular_file_is_refused(project, tmp_path, command, kind):
    target = tmp_path / "victim.txt"
    target.write_text("keep me\n")
    out = tmp_path / "out"
    if kind == "symlink":
        out.symlink_to(target)
    elif kind == "fifo":
        os.mkfifo(out)
    else:
        out.mkdir()
    result = _cli(*command, "-p", project, "-o", out)
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(out) in lines[0] and "not a regular file" in lines[0]
    assert "Traceback" not in result.output
    assert target.read_text() == "keep me\n"
    assert out.is_symlink() if kind == "symlink" else True
    assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())


def test_out_onto_a_device_is_refused(project):
    result = _cli("export", "-p", project, "-f", "csv", "-o", "/dev/null")
    assert result.exit_code == 1 and "/dev/null: not a regular file (a device)" in result.stderr
    assert os.path.exists("/dev/null") and not os.path.isfile("/dev/null")


def test_out_over_a_regular_file_or_new_path_is_fine(project, tmp_path):
    old = tmp_path / "old.csv"
    old.write_text("old\n")
    assert _cli("export", "-p", project, "-f", "csv", "-o", old).exit_code == 0
    assert old.read_text() != "old\n"
    assert _cli("export", "-p", project, "-f", "csv", "-o", tmp_path / "new" / "x.csv").exit_code == 0


@pytest.fixture
def mid_run(project, tmp_path):
    """A copy of the project whose last run is marked running (as a killed run leaves it)."""
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(project, copy)
    with sqlite3.connect(copy / "project.db") as db:
        db.execute("UPDATE runs SET status = 'running', finished_at = NULL WHERE id = (SELECT MAX(id) FROM runs)")
    return copy


@pytest.mark.parametrize("as_json", [False, True])
def test_diff_with_no_finished_run_says_so(mid_run, as_json):
    result = _cli("diff", "-p", mid_run, *(["--json"] if as_json else []))
    assert result.exit_code == 1
    assert "no finished run yet" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "internal error" not in result.output


@pytest.mark.parametrize("command", EXPORTS, ids=lambda c: " ".join(c[:2]))
def test_export_after_a_killed_run_warns(mid_run, tmp_path, command):
    out = tmp_path / "o.out"
    result = _cli(*command, "-p", mid_run, "-o", out)
    assert result.exit_code == 0, result.output
    assert out.is_file()
    assert "a run was interrupted" in result.stderr and "holds only what was finished" in result.stderr


def test_export_during_a_run_warns_in_progress(mid_run, tmp_path):
    fd = os.open(mid_run / ".ottext.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # what a running `ottext run` holds
        result = _cli("export", "-p", mid_run, "-f", "csv", "-o", tmp_path / "x.csv")
    finally:
        os.close(fd)
    assert result.exit_code == 0 and "a run is in progress" in result.stderr


def test_export_of_a_finished_project_has_no_warning(project, tmp_path):
    result = _cli("export", "-p", project, "-f", "csv", "-o", tmp_path / "x.csv")
    assert result.exit_code == 0 and "warning" not in result.stderr


def test_a_failed_command_does_not_leave_the_project_mid_run(project, tmp_path):
    """A review import that is refused (here: not a workbook) marks its run failed, so later
    exports carry no mid-run warning; only a killed process leaves a run that reads as interrupted."""
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(project, copy)
    bad = tmp_path / "not_a_workbook.xlsx"
    bad.write_text("hello")
    refused = _cli("review", "import", bad, "--coder", "A Coder", "-p", copy)
    assert refused.exit_code == 1 and "not_a_workbook.xlsx" in refused.stderr
    with sqlite3.connect(copy / "project.db") as db:
        assert db.execute("SELECT status FROM runs ORDER BY id DESC LIMIT 1").fetchone() == ("failed",)
    result = _cli("export", "-p", copy, "-f", "csv", "-o", tmp_path / "x.csv")
    assert result.exit_code == 0 and "warning" not in result.stderr


def test_a_refused_out_is_one_line_even_mid_run(mid_run):
    result = _cli("export", "-p", mid_run, "-f", "csv", "-o", "/dev/null")
    assert result.exit_code == 1 and result.stderr.strip().splitlines() == [
        "ottext: /dev/null: not a regular file (a device); ottext writes only to a new path or over a regular file"]
