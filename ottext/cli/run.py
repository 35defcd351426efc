"""``ottext run``: the main job."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import typer

from ottext.cli._common import fail, print_json
from ottext.errors import OttextError


def run(
    inputs: list[Path] = typer.Argument(..., help="Files or folders to read."),
    project: Path = typer.Option(Path("ottext-project"), "--project", "-p", help="Project folder."),
    codebook: Path = typer.Option(None, "--codebook", help="Codebook YAML (default: LGA standards)."),
    unit: str = typer.Option("group", "--unit", help="Passage unit: group, sentence, paragraph or turn."),
    max_sentences: int = typer.Option(3, "--max-sentences", min=1, help="Sentences per passage (group unit)."),
    max_words: int = typer.Option(80, "--max-words", min=5, help="About how many words per passage (group unit)."),
    text_column: list[str] = typer.Option(None, "--text-column", help="Survey free-text column (repeatable)."),
    id_column: str = typer.Option(None, "--id-column", help="Respondent id column of a survey."),
    no_redact: bool = typer.Option(False, "--no-redact", help="Keep personal data (explicit opt-out)."),
    blank: bool = typer.Option(False, "--blank", help="Use the blank spaCy pipeline (no NER)."),
    max_file_mb: float = typer.Option(None, "--max-file-mb", help="File size limit, MB (default 10; tables 1024)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors."),
    as_json: bool = typer.Option(False, "--json", help="Print a machine-readable summary."),
    strict: bool = typer.Option(False, "--strict", help="Exit 3 if any file was skipped."),
    no_code: bool = typer.Option(False, "--no-code", help="Only ingest, clean and segment; do not code."),
    no_topics: bool = typer.Option(False, "--no-topics", help="Do not fit or update topics."),
    refit_topics: bool = typer.Option(False, "--refit-topics", help="Refit topics, carrying ids over."),
    likert_map: Path = typer.Option(None, "--likert-map", help="Likert map (YAML) for health-check scores."),
    backend: str = typer.Option("minilm", "--backend", help="Embedding backend: minilm (default) or static."),
    embed_runtime: str = typer.Option(None, "--embed-runtime", help="How MiniLM runs for topics and quotes: "
                                      "onnx-int8 (the default where installed) or torch. A project keeps its own."),
    fast: bool = typer.Option(False, "--fast", help="Fast profile: blank spaCy pipeline, rule-based redaction."),
    model: Path = typer.Option(None, "--model", help="Classifier folder (default: the shipped model)."),
    processes: int = typer.Option(None, "--processes", min=1, help="Cleaning worker processes (default: up to 2)."),
) -> None:
    """Ingest, clean and segment whatever is new in INPUTS, code it, then write the exports."""
    from ottext.ingest import IngestOptions, TableOptions
    from ottext.passages import UNITS
    from ottext.run import RunOptions, run_project

    if unit not in UNITS:
        fail(f"--unit must be one of {', '.join(UNITS)}, not {unit!r}", code=2)
    if backend not in ("minilm", "static"):
        fail(f"--backend must be minilm or static, not {backend!r}", code=2)
    from ottext.embed.minilm import RUNTIMES

    if embed_runtime is not None and embed_runtime not in RUNTIMES:
        fail(f"--embed-runtime must be {' or '.join(RUNTIMES)}, not {embed_runtime!r}", code=2)
    ingest = IngestOptions(table=TableOptions(text_columns=list(text_column or []), id_column=id_column))
    if max_file_mb is not None:
        ingest.max_prose_mb = ingest.max_table_mb = max_file_mb
    options = RunOptions(codebook=codebook, unit=unit, max_sentences=max_sentences,
                         max_words=max_words, redact=not no_redact,
                         model="blank" if blank or fast else "auto", ingest=ingest, code=not no_code,
                         classifier=model, topics=not no_topics, refit_topics=refit_topics,
                         likert_map=likert_map, backend=backend, runtime=embed_runtime)
    if processes is not None:
        options.processes = processes
    try:
        with _progress(quiet or as_json) as progress:
            summary = run_project(list(inputs), project, options, progress)
    except OttextError as exc:
        fail(str(exc))
    if as_json:
        print_json(summary.to_dict())
    elif not quiet:
        _print_summary(summary)
    for line in summary.problems if not as_json else []:
        print(f"ottext: skipped: {line}", file=sys.stderr)
    if strict and summary.problems:
        raise SystemExit(3)


def _progress(silent: bool):
    """Where the stages are shown, on stderr: bars on a terminal, a line per stage elsewhere."""
    from ottext.cli._progress import LogProgress, TerminalProgress
    from ottext.progress import RunProgress

    if silent:
        return contextlib.nullcontext(RunProgress())
    return TerminalProgress() if sys.stderr.isatty() else contextlib.nullcontext(LogProgress())


def _count(n: int, noun: str) -> str:
    """``1 passage``, ``2 passages``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _print_summary(s) -> None:
    t = s.totals
    print(f"Run {s.run_id} finished in {s.seconds:.1f}s.")
    print(f"  files: {s.files_read} read, {s.files_unchanged} unchanged, {s.files_skipped} skipped")
    print(f"  documents: {s.documents_new} new, {s.documents_changed} changed, "
          f"{s.documents_unchanged} unchanged, {s.documents_removed} removed")
    if s.model_version:
        print(f"  coded {_count(s.passages_coded, 'passage')} with {s.model_version};"
              f" {_count(s.passages_embedded, 'text')} embedded (passages and their question contexts)")
    if s.topics:
        tp = s.topics
        carried = f", {tp['carried_over']} ids carried over" if tp.get("carried_over") is not None else ""
        if tp["status"] == "skipped":
            print(f"  topics: skipped ({tp.get('reason') or 'not enough passages'})")
        else:
            print(f"  topics: {tp['status']} ({tp['topics']} topics, {tp['assigned']} passages assigned{carried})")
    print(f"  project now holds {t.get('documents', 0)} documents and {t.get('passages', 0)} passages "
          f"({t.get('low_content', 0)} low-content, not coded)")
    for w in s.warnings[:10]:
        print(f"  warning: {w}")
    if len(s.warnings) > 10:
        print(f"  ... and {len(s.warnings) - 10} more warnings (see the project store)")
    print(f"Outputs in {Path(s.project) / 'exports'}:")
    quotes = [p for k, p in s.exports.items() if k.startswith("quotes_")]
    for key, path in s.exports.items():
        if not key.startswith("quotes_"):
            print(f"  {path}")
    if quotes:
        print(f"  {Path(quotes[0]).parent}/ ({len(quotes)} quote packs, one per code)")
