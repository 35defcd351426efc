"""The training corpus is what its two blind readings, the adjudications and the revisions give."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "merge_readings.py"


def _merge_module():
    spec = importlib.util.spec_from_file_location("merge_readings", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_training_files_equal_what_their_readings_give():
    done = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passages_r" in done.stdout and "passages_w" in done.stdout


def test_a_revision_adds_and_removes_codes_after_the_adjudication():
    merge = _merge_module()
    revision = {"id": "x-1", "add": ["environment_resources"], "remove": ["barrier"], "rule": "r"}
    assert merge._revised(["registration", "barrier"], revision) == ["registration", "environment_resources"]
    assert merge._revised(["registration"], None) == ["registration"]


def test_every_revision_names_its_rule_and_a_known_code():
    merge = _merge_module()
    from ottext.codebook import load_codebook

    ids = set(load_codebook().ids)
    revisions = merge._revisions(ROOT / "corpora" / "readings" / "revisions.jsonl")
    assert revisions
    for rev in revisions.values():
        assert rev["rule"]
        assert set(rev.get("add", []) + rev.get("remove", [])) <= ids
