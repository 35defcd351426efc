"""Scripted re-runs: manifests, diffs, identical exports for identical inputs, one new response."""

from __future__ import annotations

import json
import re
import shutil
import zipfile

import pytest
from conftest import DEMO
from typer.testing import CliRunner

from ottext.cli import app
from ottext.run import RunOptions, run_project

RUN_ID = re.compile(r"\d{8}T\d{6}Z-\d{4}")
DATE = re.compile(r"written \d{1,2} \w+ \d{4}")


@pytest.fixture(scope="module")
def demo_copy(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reruns")
    shutil.copy(DEMO / "health_check_survey.csv", folder / "survey.csv")
    shutil.copy(DEMO / "interview_01_adults_senior_ot.txt", folder / "interview.txt")
    return folder


def _normalised_exports(project):
    out = {}
    for path in sorted((project / "exports").rglob("*")):
        if not path.is_file() or path.parent.name == "runs" or path.name == "manifest.json":
            continue
        if path.suffix in (".xlsx", ".qdpx"):
            with zipfile.ZipFile(path) as zf:
                data = b"".join(zf.read(n) for n in sorted(zf.namelist()) if "docProps" not in n)
        else:
            data = path.read_bytes()
        text = data.decode("utf-8", errors="replace")
        out[str(path.relative_to(project))] = DATE.sub("DATE", RUN_ID.sub("RUN", text))
    return out


def test_same_inputs_give_identical_exports(demo_copy, tmp_path):
    inputs = [demo_copy / "survey.csv", demo_copy / "interview.txt"]
    run_project(inputs, tmp_path / "a" / "project", RunOptions(model="blank"))
    run_project(inputs, tmp_path / "b" / "project", RunOptions(model="blank"))
    a, b = _normalised_exports(tmp_path / "a" / "project"), _normalised_exports(tmp_path / "b" / "project")
    assert set(a) == set(b) and len(a) >= 20
    different = [k for k in a if a[k] != b[k]]
    assert different == []


def test_manifest_records_inputs_versions_and_counts(demo_copy, tmp_path):
    summary = run_project([demo_copy / "survey.csv"], tmp_path / "p", RunOptions(model="blank", topics=False))
    manifest = json.loads((tmp_path / "p" / "exports" / "manifest.json").read_text())
    assert manifest["run_id"] == summary.run_id
    assert (tmp_path / "p" / "exports" / "runs" / f"{summary.run_id}.json").is_file()
    assert manifest["inputs"][0]["status"] == "new" and len(manifest["inputs"][0]["sha256"]) == 64
    assert manifest["codebook"]["hash"] and manifest["model_version"] and manifest["embedder"].startswith("minilm")
    assert {"spacy", "scikit-learn", "torch", "bertopic"} <= set(manifest["packages"])
    assert manifest["seeds"] == {"classifier_folds": 0, "topics": 42}
    assert manifest["counts"]["documents_new"] == summary.documents_new
    assert sum(manifest["code_counts"].values()) > 0


def test_one_new_response_is_all_that_is_coded_and_diff_shows_it(demo_copy, tmp_path):
    survey = tmp_path / "survey.csv"
    shutil.copy(demo_copy / "survey.csv", survey)
    run_project([survey], tmp_path / "p", RunOptions(model="blank"))
    with open(survey, "a", encoding="utf-8") as fh:
        fh.write('R999,OT,London,Adults,,"My HCPC renewal fee went up again and the council will not pay it",,'
                 "Agree,Agree,Agree,Agree,Agree,Agree,Agree,Agree,Agree\n")
    second = run_project([survey], tmp_path / "p", RunOptions(model="blank"))
    # only the new passage is embedded: once for the model's (static) features, once by MiniLM for its topic
    assert (second.documents_new, second.passages_coded, second.passages_embedded) == (1, 1, 2)
    assert second.topics["status"] == "assigned" and second.topics["assigned"] == 1
    res = CliRunner().invoke(app, ["diff", "-p", str(tmp_path / "p"), "--json"])
    assert res.exit_code == 0, res.output
    diff = json.loads(res.stdout)
    assert diff["new_passages"] == 1 and diff["new_passages_by_code"]["registration"] == 1
    assert diff["code_counts"]["registration"]["after"] == diff["code_counts"]["registration"]["before"] + 1
    [new] = diff["passages"]
    assert new["document"] == "survey.csv" and "HCPC renewal fee" in new["text"] and "registration" in new["codes"]
    plain = CliRunner().invoke(app, ["diff", "-p", str(tmp_path / "p")])
    assert f"new {new['id']}  survey.csv  My HCPC renewal fee" in plain.stdout and "registration" in plain.stdout
    bad = CliRunner().invoke(app, ["diff", "-p", str(tmp_path / "p"), "--since", "nope"])
    assert bad.exit_code == 2 and "no finished run 'nope'" in bad.stderr
