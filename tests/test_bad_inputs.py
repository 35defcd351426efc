"""The bad-input corpus (tests/badinputs.py): each case gets its expected outcome through the
library, the whole corpus goes through `ottext run` with no traceback, and a batch of only bad
files leaves the project store as it was."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from badinputs import CASES, active_cases, build_corpus, ingest_folder, printable

from ottext.errors import IngestError
from ottext.run import RunOptions, run_project

FAST = RunOptions(model="blank", code=False, topics=False)
GOOD_TEXT = "Our principal OT makes sure the OT voice is heard at every board meeting."
CASE_SECONDS = 20  # per case; a hang (a pipe read, a bomb inflated) fails instead of blocking the suite


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Nothing in a bad input (external links, templates, entities) may reach the network."""
    def refuse(*args, **kwargs):
        raise AssertionError("a bad input tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def time_limit():
    def expired(signum, frame):
        raise TimeoutError(f"took over {CASE_SECONDS}s (a hang?)")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(CASE_SECONDS)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def _param(case):
    marks = [] if case.only_if else [pytest.mark.skip(reason="root reads every file; permissions cannot be tested")]
    return pytest.param(case, id=printable(case.filename), marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_each_bad_input_gets_its_expected_outcome(case, tmp_path, time_limit):
    """Each bad input, alone in an input folder, is read, read with a warning, skipped with one
    line naming it, or passed over (types ottext does not read) exactly as CASES says, in
    bounded time and without an exception other than IngestError."""
    root = build_corpus(tmp_path, [case])
    outcome = ingest_folder(root).get(case.shown)
    if case.expect == "ignored":
        assert outcome is None
        return
    assert outcome is not None, "the folder walk did not see it"
    assert outcome.status != "crash", outcome.messages[0]
    assert outcome.status == case.expect, outcome.messages
    for message in outcome.messages:
        assert "\n" not in message and case.shown in message, message
    if case.expect == "skip":
        assert outcome.documents == [] and len(outcome.messages) == 1
        assert case.message in outcome.messages[0]
    else:
        assert outcome.documents
        if case.expect == "warn":
            assert any(case.message in m for m in outcome.messages), outcome.messages
        else:
            assert outcome.messages == []
        if case.check is not None:
            assert case.check(outcome.documents), [d.text[:200] for d in outcome.documents]


# `ottext run` over the whole corpus: the 10 MB line is cut by --max-file-mb 5 here, because cleaning
# 10 MB of prose takes about 90 s (blank pipeline, peak 1.9 GB); reading it is covered above.
CLI_MAX_MB = 5
CLI_EXPECT = {name: ("skip", f"over the {CLI_MAX_MB} MB limit") for name in ("one_line_10mb.txt", "huge_200mb.txt")}


# The child reports its own peak: VmHWM of /proc/self/status, read as it exits. os.wait4's
# ru_maxrss cannot be used: Linux carries the parent's high-water mark into a forked child, so
# the figure would depend on what the test process did before (1.2 GB after other tests, 165 MB alone).
# Worker processes the child forks count too (RUSAGE_CHILDREN: their high-water marks start from the child's).
_LAUNCH = ("import atexit, os, re, resource, sys\n"
           "def _peak():\n"
           "    status = open('/proc/self/status').read()\n"
           "    kb = re.search(r'VmHWM:\\s+(\\d+)', status)\n"
           "    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
           "    peak = max(int(kb.group(1)) if kb else 0, workers)\n"
           "    open(os.environ['OTTEXT_TEST_PEAK_FILE'], 'w').write(str(peak))\n"
           "atexit.register(_peak)\n"
           "from ottext.cli import main\n"
           "sys.argv[0] = 'ottext'\n"
           "main()\n")


def _cli(args: list[str], cwd: Path, timeout: float = 300) -> tuple[int, str, str, float]:
    """Run `ottext ARGS` in a child process: (exit status, stdout, stderr, the child's own peak RSS in MB)."""
    peak_file = cwd / "cli.peak"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONIOENCODING": "utf-8", "OTTEXT_TEST_PEAK_FILE": str(peak_file)}
    out, err = cwd / "cli.stdout", cwd / "cli.stderr"
    with open(out, "wb") as fo, open(err, "wb") as fe:
        proc = subprocess.Popen([sys.executable, "-c", _LAUNCH, *args], cwd=cwd, env=env, stdout=fo, stderr=fe,
                                stdin=subprocess.DEVNULL)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError(f"ottext run took over {timeout}s (a hang?)") from None
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in (out, err)]
    peak_kb = int(peak_file.read_text()) if peak_file.is_file() else 0
    assert peak_kb > 0, "the child did not report its peak memory"
    return proc.returncode, texts[0], texts[1], peak_kb / 1024


def test_cli_run_over_the_whole_corpus(tmp_path):
    """The whole corpus plus one good file through `ottext run --strict`: exit 3 (files skipped),
    no traceback, one `skipped:` line per refused file, warnings in the store, every readable bad
    input and the good file stored, in bounded time and memory."""
    root = build_corpus(tmp_path / "corpus")
    good = tmp_path / "good.txt"
    good.write_text(GOOD_TEXT, encoding="utf-8")
    project = tmp_path / "project"
    started = time.perf_counter()
    status, stdout, stderr, peak_mb = _cli(["run", str(root), str(good), "--project", str(project), "--fast",
                                            "--no-code", "--no-topics", "--strict", "--max-file-mb", str(CLI_MAX_MB)],
                                           tmp_path, timeout=120)
    seconds = time.perf_counter() - started
    output = stdout + stderr
    assert status == 3, output
    assert "Traceback" not in output and "internal error" not in output, output
    assert peak_mb < 1024, f"peak memory {peak_mb:.0f} MB in {seconds:.1f}s"
    print(f"ottext run over {len(active_cases())} bad inputs: {seconds:.1f}s, peak {peak_mb:.0f} MB")

    skipped = [line for line in stderr.splitlines() if line.startswith("ottext: skipped: ")]
    db = sqlite3.connect(project / "project.db")
    warnings = [m for (m,) in db.execute("SELECT message FROM problems WHERE level = 'warning'")]
    sources = {s for (s,) in db.execute("SELECT source FROM documents")}
    expected_skips = 0
    for case in active_cases():
        expect, message = CLI_EXPECT.get(case.filename, (case.expect, case.message))
        mine = [line for line in skipped if f"/{case.shown}" in line]
        read = {s for s in sources if s.split("/")[0] == case.shown}
        if expect == "skip":
            expected_skips += 1
            assert len(mine) == 1 and message in mine[0], (case.name, mine)
            assert not read, case.name
        elif expect == "ignored":
            assert not mine and not read and case.shown not in output, case.name
        else:
            assert not mine and read, (case.name, mine)
            if expect == "warn":
                assert any(case.shown in w and message in w for w in warnings), (case.name, warnings)
    assert len(skipped) == expected_skips, skipped
    passages = db.execute("SELECT COUNT(*) FROM passages p JOIN documents d ON d.id = p.document_id"
                          " WHERE d.source = 'good.txt'").fetchone()[0]
    assert passages >= 1
    db.close()


def _dump(project: Path, ignore: tuple[str, ...]) -> list[str]:
    """Schema and rows as SQL, sorted: every run rewrites the same `meta` values with INSERT OR
    REPLACE, which gives them new rowids (and so another dump order) without changing a value."""
    db = sqlite3.connect(project / "project.db")
    try:
        return sorted(line for line in db.iterdump()
                      if not line.startswith(tuple(f'INSERT INTO "{t}"' for t in ignore)))
    finally:
        db.close()


def test_store_unchanged_by_a_batch_of_only_bad_files(tmp_path, time_limit):
    """A batch of only refused (and passed-over) files is refused as a whole with one error naming
    them (E022), and leaves the store as it was: schema and every row, the run log included."""
    project = tmp_path / "project"
    good = tmp_path / "good.txt"
    good.write_text(GOOD_TEXT, encoding="utf-8")
    run_project([good], project, FAST)  # a project with content, its meta and export state already set
    before = _dump(project, ())
    bad = [c for c in active_cases() if c.expect in ("skip", "ignored")]
    root = build_corpus(tmp_path / "bad", bad)
    with pytest.raises(IngestError, match="^no input could be read: ") as caught:
        run_project([root], project, FAST)
    assert _dump(project, ()) == before
    skips = [c for c in bad if c.expect == "skip"]
    assert str(caught.value).count(" (") >= min(len(skips), 5) and "\n" not in str(caught.value)
    db = sqlite3.connect(project / "project.db")
    runs = [r for (r,) in db.execute("SELECT status FROM runs ORDER BY id")]
    db.close()
    assert runs == ["finished"]


def test_unreadable_subfolder_is_reported_not_silently_passed_over(tmp_path, monkeypatch):
    """A subfolder the walk cannot list (no permission) gets one line naming it; the rest is read.
    (Simulated: as root every folder is readable.)"""
    from ottext.ingest import iter_input_files

    (tmp_path / "in" / "locked").mkdir(parents=True)
    (tmp_path / "in" / "locked" / "hidden.txt").write_text("never seen", encoding="utf-8")
    (tmp_path / "in" / "a.txt").write_text(GOOD_TEXT, encoding="utf-8")
    real = os.scandir

    def scandir(path="."):
        if os.fspath(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    found = [str(f) if isinstance(f, Exception) else f.source for f in iter_input_files([tmp_path / "in"])]
    assert found == ["a.txt", f"{tmp_path / 'in' / 'locked'}: could not read (Permission denied)"]
