"""The main job end to end: the seeds, a batch with bad files, re-runs, and the CLI."""

from __future__ import annotations

import importlib.util
import json
import sqlite3
from pathlib import Path

import pytest
from conftest import ROOT, make_docx
from typer.testing import CliRunner

from ottext.cli import app
from ottext.errors import StoreError
from ottext.run import RunOptions, run_project
from ottext.store import Store


def _exports_text(project: Path) -> str:
    """Every text export; for HTML plots, the figure data (not the bundled plotly.js library, whose
    licence comments name its authors)."""
    import zipfile

    out = []
    for p in sorted((project / "exports").rglob("*")):
        if p.suffix in (".csv", ".jsonl", ".md", ".json"):
            out.append(p.read_text(encoding="utf-8"))
        elif p.suffix == ".html":
            out.append(p.read_text(encoding="utf-8").rsplit("Plotly.newPlot(", 1)[-1])
        elif p.suffix in (".xlsx", ".qdpx"):
            with zipfile.ZipFile(p) as zf:
                out += [zf.read(n).decode("utf-8", errors="replace") for n in zf.namelist()]
    return "\n".join(out)


@pytest.fixture(scope="module")
def seeds_project(shared, tmp_path_factory):
    project = tmp_path_factory.mktemp("seeds")
    summary = run_project([shared / "seeds"], project)
    return project, summary


def test_seeds_boilerplate_is_not_passages(seeds_project):
    project, summary = seeds_project
    assert summary.problems == [] and summary.files_read == 2
    texts = [json.loads(line)["text"] for line in (project / "exports" / "passages.jsonl").read_text().splitlines()]
    assert not any("Health Education England" in t for t in texts)
    assert not any(t.startswith(("Occupational therapists in social care", "Q&A:", "Case study")) for t in texts)
    joined = "\n".join(texts)
    assert "Celebrate those" not in joined and "My Brilliant Colleague" not in joined
    assert joined.count("realised how important wellbeing and satisfaction") == 1
    assert "l've" not in _exports_text(project)


def test_seeds_personal_data_never_reaches_an_export(seeds_project):
    project, _ = seeds_project
    exported = _exports_text(project)
    for name in ("coded_long.csv", "coded_wide.xlsx", "project.qdpx", "report.html", "quotes/safe_workload.md"):
        assert (project / "exports" / name).is_file(), name
    for secret in ("7887865218", "anastasia.koutsounia@", "markallengroup", "Jon Tilley", "Tilley",
                   "Suhailah", "Mohamed", "Anastasia", "Koutsounia", "Jon "):
        assert secret not in exported, secret
    db = sqlite3.connect(project / "project.db")
    originals = {r[0] for r in db.execute("SELECT original FROM redactions")}
    assert {"Jon Tilley", "Suhailah Mohamed"} <= originals  # the map stays in the store only


def test_seeds_gold_passages_are_all_covered(seeds_project, shared):
    spec = importlib.util.spec_from_file_location("seed_coverage", ROOT / "scripts" / "seed_coverage.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tally, _ = module.seed_coverage(seeds_project[0], shared / "gold" / "seeds_gold.jsonl")
    assert tally["missing"] == 0 and tally["exact"] >= 20


def test_offsets_cut_exactly_in_exports(seeds_project):
    project, _ = seeds_project
    docs = {json.loads(line)["id"]: json.loads(line)["text"]
            for line in (project / "exports" / "documents.jsonl").read_text().splitlines()}
    for line in (project / "exports" / "passages.jsonl").read_text().splitlines():
        p = json.loads(line)
        assert docs[p["document_id"]][p["start"]:p["end"]] == p["text"]


def test_bad_files_never_stop_the_batch(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "good.txt").write_text("Supervision is protected and monthly.")
    (inputs / "empty.txt").write_text("")
    (inputs / "binary.txt").write_bytes(bytes(range(256)) * 10)
    (inputs / "cut.docx").write_bytes(make_docx([("Hello there", None)])[:300])
    (inputs / "ragged.csv").write_text("id,What gets in the way?\n1,No admin support at all\n2,Hot desks,x,y\n")
    (inputs / "Zoë café notes.txt").write_text("Caseloads are far too high.")
    (inputs / "copy.txt").write_text("Supervision is protected and monthly.")
    summary = run_project([inputs], tmp_path / "p")
    assert summary.files_read == 3  # copy.txt, ragged.csv, the non-ASCII name; good.txt is a duplicate
    assert sorted(m.split(": ", 1)[1].split(" (")[0] for m in summary.problems) == [
        "duplicate of copy.txt", "file is empty", "looks like a binary file, not text", "not a valid .docx"]
    assert len(summary.warnings) == 1 and "ragged.csv row 3" in summary.warnings[0]
    assert summary.totals["passages"] == 4


def test_rerun_with_nothing_new_reads_nothing_and_keeps_ids(tmp_path, shared):
    project = tmp_path / "p"
    first = run_project([shared / "seeds"], project, RunOptions(model="blank"))
    before = (project / "exports" / "passages.jsonl").read_text()
    again = run_project([shared / "seeds"], project, RunOptions(model="blank"))
    assert (again.files_read, again.files_unchanged, again.documents_new) == (0, 2, 0)
    assert first.totals == again.totals
    assert json.loads(before.splitlines()[0])["id"] == json.loads(
        (project / "exports" / "passages.jsonl").read_text().splitlines()[0])["id"]


def test_changed_survey_reads_only_changed_responses(tmp_path):
    survey = tmp_path / "s.csv"
    survey.write_text("id,What gets in the way?\n1,No admin support at all\n2,Too many unallocated cases\n")
    run_project([survey], tmp_path / "p", RunOptions(model="blank"))
    survey.write_text("id,What gets in the way?\n1,No admin support at all\n2,Too many unallocated cases\n"
                      "3,The panel meets monthly\n")
    summary = run_project([survey], tmp_path / "p", RunOptions(model="blank"))
    assert (summary.documents_new, summary.documents_unchanged, summary.documents_removed) == (1, 2, 0)


def test_second_run_on_a_locked_project_gets_a_clear_error(tmp_path):
    (tmp_path / "a.txt").write_text("Supervision is protected and monthly.")
    holder = Store(tmp_path / "p")
    holder.lock()
    try:
        with pytest.raises(StoreError, match="another ottext run is using this project"):
            run_project([tmp_path / "a.txt"], tmp_path / "p")
    finally:
        holder.close()


def test_cli_run_json_and_one_line_errors(tmp_path):
    (tmp_path / "a.txt").write_text("Our principal OT makes sure the OT voice is heard.")
    runner = CliRunner()
    ok = runner.invoke(app, ["run", str(tmp_path / "a.txt"), "--project", str(tmp_path / "p"), "--json", "--blank"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["totals"]["passages"] == 1
    missing = runner.invoke(app, ["run", str(tmp_path / "a.txt"), str(tmp_path / "nope.txt"), "--project",
                                  str(tmp_path / "p"), "--strict", "--quiet", "--blank"])
    assert missing.exit_code == 3  # one file skipped, the other read
    assert "nope.txt: no such file or folder" in missing.stderr and "Traceback" not in missing.output
    bad_cb = tmp_path / "cb.yaml"
    bad_cb.write_text("codes: []")
    stopped = runner.invoke(app, ["run", str(tmp_path / "a.txt"), "-p", str(tmp_path / "p"), "--codebook", str(bad_cb)])
    assert stopped.exit_code == 1 and stopped.stderr.strip().startswith("ottext: ")
    assert len(stopped.stderr.strip().splitlines()) == 1


def test_corrupt_project_database_gets_one_line(tmp_path):
    project = tmp_path / "p"
    project.mkdir()
    (project / "project.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not an ottext project database"):
        run_project([ROOT / "README.md"], project)


def test_run_codes_every_passage_and_exports_codes_and_scores(seeds_project):
    from ottext.codebook import load_codebook

    project, summary = seeds_project
    ids = load_codebook().ids
    rows = [json.loads(line) for line in (project / "exports" / "passages.jsonl").read_text().splitlines()]
    coded = [r for r in rows if not r["low_content"]]
    assert summary.passages_coded == len(coded) and summary.model_version
    for r in coded:
        assert list(r["scores"]) == ids and r["model_version"] == summary.model_version
        assert set(r["codes"]) <= set(ids)
        if "environment_resources" in r["codes"]:
            assert "wellbeing" in r["codes"]
    for r in rows:
        if r["low_content"]:
            assert r["codes"] == [] and r["scores"] == {}
    header = (project / "exports" / "passages.csv").read_text().splitlines()[0].split(",")
    assert {"codes", "scores", "model_version"} <= set(header)


def test_rerun_embeds_and_codes_nothing(seeds_project, shared):
    project, _ = seeds_project
    again = run_project([shared / "seeds"], project)
    assert (again.passages_coded, again.passages_embedded, again.files_read) == (0, 0, 0)


def _project_state(project: Path) -> list[str]:
    """Every row of the project database (sorted SQL) and every other file's bytes, by name."""
    db = sqlite3.connect(project / "project.db")
    try:
        rows = sorted(db.iterdump())
    finally:
        db.close()
    files = [f"{p.relative_to(project)}:{p.read_bytes().hex()}" for p in sorted(project.rglob("*"))
             if p.is_file() and not p.name.startswith("project.db")]
    return rows + files


def test_missing_input_exits_1_and_creates_nothing(tmp_path):
    runner = CliRunner()
    nope, project = tmp_path / "nope.csv", tmp_path / "new" / "P"
    result = runner.invoke(app, ["run", str(nope), "--project", str(project), "--blank"])
    assert result.exit_code == 1, result.output
    assert result.stderr == f"ottext: no input could be read: {nope} (no such file or folder)\n"
    assert "Outputs in" not in result.stdout and not (tmp_path / "new").exists()
    empty = tmp_path / "empty.txt"
    empty.write_text("")  # exists, but fails when read: the project begun for it is taken away again
    result = runner.invoke(app, ["run", str(empty), str(nope), "--project", str(project), "--blank"])
    assert result.exit_code == 1 and not (tmp_path / "new").exists()
    assert result.stderr == (f"ottext: no input could be read: {empty} (file is empty);"
                             f" {nope} (no such file or folder)\n")


def test_missing_input_leaves_an_existing_project_untouched(tmp_path):
    (tmp_path / "a.txt").write_text("Our principal OT makes sure the OT voice is heard in every meeting.")
    (tmp_path / "empty.txt").write_text("")
    project = tmp_path / "p"
    runner = CliRunner()
    assert runner.invoke(app, ["run", str(tmp_path / "a.txt"), "-p", str(project), "--blank"]).exit_code == 0
    before = _project_state(project)
    for inputs in ([tmp_path / "nope.csv"], [tmp_path / "empty.txt"], [tmp_path / "empty.txt", tmp_path / "no"]):
        result = runner.invoke(app, ["run", *map(str, inputs), "-p", str(project), "--blank", "--strict"])
        assert result.exit_code == 1 and result.stderr.startswith("ottext: no input could be read: "), result.output
        assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.output
        assert _project_state(project) == before, inputs


def test_small_project_lists_only_written_outputs_and_why_topics_skipped(tmp_path):
    (tmp_path / "a.txt").write_text("Our principal OT makes sure the OT voice is heard in every meeting.")
    result = CliRunner().invoke(app, ["run", str(tmp_path / "a.txt"), "-p", str(tmp_path / "p"), "--blank"])
    assert result.exit_code == 0, result.output
    assert "  topics: skipped (fewer than 10 passages of 4 or more words; the project has 1)" in result.stdout
    listed = result.stdout.split("Outputs in ", 1)[1].splitlines()[1:]
    assert listed and all(line.startswith("  ") for line in listed)
    for line in listed:
        path = Path(line.strip().split(" (")[0].rstrip("/"))
        assert path.exists(), line
    assert "topic_map.html" not in result.stdout and "topic_barchart" not in result.stdout
    assert "passages.csv" in result.stdout


def test_rerun_summary_counts_unchanged_documents_and_says_what_was_embedded(tmp_path):
    survey = tmp_path / "s.csv"
    survey.write_text("id,What gets in the way?\n1,No admin support at all for the team\n"
                      "2,Too many unallocated cases on the list\n")
    runner = CliRunner()
    args = ["run", str(survey), "-p", str(tmp_path / "p"), "--blank", "--no-topics"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "  documents: 2 new, 0 changed, 0 unchanged, 0 removed" in first.stdout
    # two passages and the one question they answer
    assert "; 3 texts embedded (passages and their question contexts)" in first.stdout
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "  files: 0 read, 1 unchanged, 0 skipped" in again.stdout
    assert "  documents: 0 new, 0 changed, 2 unchanged, 0 removed" in again.stdout
    assert "coded 0 passages with " in again.stdout and "; 0 texts embedded" in again.stdout


def test_missing_input_includes_a_folder_with_nothing_to_read(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "notes.odt").write_text("not a type ottext reads")
    result = CliRunner().invoke(app, ["run", str(tmp_path / "in"), "-p", str(tmp_path / "p"), "--blank"])
    assert result.exit_code == 1 and not (tmp_path / "p").exists()
    assert result.stderr.startswith(f"ottext: no input could be read: {tmp_path / 'in'} (no file ottext reads in it")
