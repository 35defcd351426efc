"""Stage progress: the library's contract (each stage started, advanced per batch, ended), the
CLI's log lines and rich bars, and --quiet / --json keeping stderr free of it."""

from __future__ import annotations

import io
import json
import re

import numpy as np
from conftest import FakeEmbedder
from typer.testing import CliRunner

from ottext.cli import app
from ottext.cli._progress import LogProgress, TerminalProgress
from ottext.embed import CachedEmbedder
from ottext.progress import STAGES, RunProgress
from ottext.run import RunOptions, run_project

STAGE_LINE = re.compile(r"^(cleaning|embedding|coding|topics|exports): (\d+) (document|text|passage|topic|file)s?"
                        r" in \d+\.\d s$")


def _survey(folder, answers: int):
    """A survey of ``answers`` distinct responses of several words (one passage each)."""
    path = folder / "s.csv"
    rows = [f"{i},Response {i}: supervision gets cancelled and caseload {i} keeps growing every month"
            for i in range(answers)]
    path.write_text("id,What gets in the way of good practice?\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


class Recorder(RunProgress):
    def __init__(self) -> None:
        self.events: list[tuple] = []

    def start(self, stage, total=None):
        self.events.append(("start", stage, total))

    def advance(self, stage, n=1, total=None):
        self.events.append(("advance", stage, n))

    def end(self, stage, count):
        self.events.append(("end", stage, count))

    def advances(self, stage: str) -> list[int]:
        return [n for kind, s, n in self.events if kind == "advance" and s == stage and n]


def test_log_has_one_line_per_stage_in_order_with_its_time(tmp_path):
    result = CliRunner().invoke(app, ["run", str(_survey(tmp_path, 12)), "-p", str(tmp_path / "p"), "--blank"])
    assert result.exit_code == 0, result.output
    lines = [m for line in result.stderr.splitlines() if (m := STAGE_LINE.match(line))]
    assert [m[1] for m in lines] == list(STAGES), result.stderr
    assert lines[0][2] == "12" and lines[2][2] == "12"  # 12 documents cleaned, 12 passages coded
    assert result.stdout.startswith("Run ") and "cleaning:" not in result.stdout  # the summary is unchanged


def test_quiet_and_json_runs_print_no_progress(tmp_path):
    survey = _survey(tmp_path, 3)
    args = ["run", str(survey), "-p", str(tmp_path / "p"), "--blank", "--no-code", "--no-topics"]
    quiet = CliRunner().invoke(app, [*args, "--quiet"])
    assert quiet.exit_code == 0 and quiet.stdout == "" and quiet.stderr == ""
    (survey.parent / "more.csv").write_text("id,What helps?\n9,A principal OT who listens to the team\n")
    as_json = CliRunner().invoke(app, [*args, str(survey.parent / "more.csv"), "--json"])
    assert as_json.exit_code == 0 and as_json.stderr == ""
    assert json.loads(as_json.stdout)["documents_new"] == 1


def test_progress_hears_each_batch_of_embedding_and_coding(tmp_path):
    heard = Recorder()
    summary = run_project([_survey(tmp_path, 40)], tmp_path / "p", RunOptions(model="blank", topics=False), heard)
    stages = [s for kind, s, _ in heard.events if kind == "start"]
    assert stages == ["cleaning", "embedding", "coding", "exports"]
    assert [s for kind, s, _ in heard.events if kind == "end"] == stages  # each ended, in turn
    ends = {s: n for kind, s, n in heard.events if kind == "end"}
    assert ends["cleaning"] == summary.documents_new == 40
    assert sum(heard.advances("embedding")) == ends["embedding"] > 0
    coding = heard.advances("coding")
    assert sum(coding) == ends["coding"] == summary.passages_coded == 40
    assert len(coding) > 1  # per batch of the reader, not once at the end


def test_minilm_tells_each_batch(minilm):
    heard: list[int] = []
    texts = [f"text number {i} about supervision" for i in range(20)] + [""]
    vectors = minilm.embed(texts, on_batch=heard.append)
    assert heard == [1, 16, 4] and vectors.shape == (21, minilm.dim)  # the empty text, then batches of 16


class DictCache:
    def __init__(self) -> None:
        self.vectors: dict = {}

    def get_vectors(self, embedder_id, hashes, dim):
        return {h: self.vectors[h] for h in hashes if h in self.vectors}

    def put_vectors(self, embedder_id, items):
        self.vectors.update(items)


def test_cached_embedder_tells_only_the_texts_it_embeds():
    cached = CachedEmbedder(FakeEmbedder(), DictCache())
    assert cached.uncached(["a b", "c d", "a b"]) == 2
    heard: list[int] = []
    first = cached.embed(["a b", "c d", "a b"], on_batch=heard.append)
    assert heard == [2]  # an embedder without on_batch: told once, when all are done
    again = cached.embed(["a b", "e f"], on_batch=heard.append)
    assert heard == [2, 1] and cached.uncached(["a b", "e f"]) == 0
    assert np.array_equal(first[0], again[0])


def test_log_lines_count_in_the_stage_unit_and_each_tenth_of_a_long_document():
    out = io.StringIO()
    log = LogProgress(out)
    log.start("cleaning")
    for done in range(1, 21):
        log.detail("cleaning", "long.docx", done, 20)
    log.end("cleaning", 1)
    log.start("topics")
    log.end("topics", 13)
    lines = out.getvalue().splitlines()
    assert len(lines) == 12 and lines[0].startswith("ottext: cleaning long.docx: part 2 of 20 (10%;")
    assert re.fullmatch(r"cleaning: 1 document in \d+\.\d s", lines[10])
    assert re.fullmatch(r"topics: 13 topics in \d+\.\d s", lines[11])


def test_terminal_shows_a_bar_per_stage_finished_at_its_count():
    from rich.console import Console

    with TerminalProgress(Console(file=io.StringIO(), force_terminal=True)) as bars:
        bars.start("cleaning")
        bars.advance("cleaning", 0, total=3)
        bars.advance("cleaning", 3)
        bars.end("cleaning", 3)
        bars.start("topics")
        running = bars.bar.tasks[1]
        assert running.total is None and not running.finished
        bars.end("topics", 13)
    tasks = bars.bar.tasks
    assert [t.description for t in tasks] == ["cleaning", "topics"]
    assert [(t.completed, t.total, t.fields["unit"]) for t in tasks] == [(3, 3, "documents"), (13, 13, "topics")]
    assert all(t.finished for t in tasks)  # so their timers stop at the stage's time
