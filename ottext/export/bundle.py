"""The exports ``ottext run`` writes into ``PROJECT/exports`` after every run that changed the store.

Per-passage files (passage tables, documents, coded excerpts) grow by appending when the run only
added documents (see ``export.ledger``); the rest (topic tables and plots, quote packs, the report,
the REFI-QDA project) are written from the store each time, reading the coded view
(``export.view``) rather than every coding.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from ottext import package_version
from ottext.export import ledger
from ottext.export.tabular import export_paths
from ottext.ingest import sha256_bytes
from ottext.store import Store

EXPORT_STATE_KEY = "exports_state"
AUTO_HEAVY_LIMIT = 50_000  # coded passages above which `ottext run` skips the xlsx and qdpx exports
CODED_EXPORTS = {"coded_long_csv": ("coded_long.csv", "csv", "long"),
                 "coded_wide_xlsx": ("coded_wide.xlsx", "xlsx", "wide")}
WIDE_ROWS = "coded_wide.rows.xml"  # the workbook's rows, kept in the project cache to add to

log = logging.getLogger(__name__)


@dataclass
class Growth:
    """Where the growing files start from (``since`` None: write them in full) and what they now
    hold: their header's metadata columns and their row counts, for the ledger."""

    since: int | None = None
    columns: dict[str, list[str]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def write_exports(store: Store, codebook, out_dir: Path, topics: bool, embedder=None,
                  likert_map: Path | None = None) -> dict[str, Path]:
    """Write every export, unless the store has not changed since they were last written. When
    passages are coded (``embedder`` given) that includes coded excerpts (csv, xlsx), a REFI-QDA
    project, a quote pack per code and the HTML report (with health-check scores if a map is given)."""
    map_key = ""
    if likert_map is not None:
        from ottext.scores import map_survey

        survey = map_survey(likert_map)
        map_key = sha256_bytes(likert_map.read_bytes() + (survey.read_bytes() if survey and survey.is_file() else b""))
    state = (store.state_key() + f"|topics={topics}|codebook={codebook.hash}|coded={embedder is not None}"
             f"|map={map_key}")
    paths = export_paths(out_dir, topics)
    heavy = False
    if embedder is not None:  # above AUTO_HEAVY_LIMIT, xlsx and qdpx only by `ottext export`
        heavy = store.coded_count() <= AUTO_HEAVY_LIMIT
        paths.update({k: out_dir / name for k, (name, fmt, _) in CODED_EXPORTS.items() if heavy or fmt == "csv"})
        paths.update({"report": out_dir / "report.html"} | ({"qdpx": out_dir / "project.qdpx"} if heavy else {}))
        paths.update({f"quotes_{c}": out_dir / "quotes" / f"{c}.md" for c in codebook.ids})
    if store.get_meta(EXPORT_STATE_KEY) == state and all(p.exists() for p in paths.values()):
        return paths
    growing = {k: paths[k] for k in ("csv", "jsonl", "documents", "coded_long_csv") if k in paths}
    if heavy:
        growing["coded_wide_rows"] = store.dir / "cache" / WIDE_ROWS
    key = f"{codebook.hash}|coded={embedder is not None}|ottext={package_version('ottext')}"
    grown = ledger.appendable(store, growing, key)  # if only documents were added: append their rows
    growth = Growth(grown.mark, grown.columns, grown.counts) if grown else Growth()
    from ottext.topics.outputs import TopicPlots, code_names, topic_tables, write_topic_outputs

    passages = _PassagesJob(store.dir, out_dir, growth.since, growth.columns.get("passages"))
    jobs = [passages]  # files that need no more of this process: written by child processes meanwhile
    written = export_paths(out_dir)
    tables = topic_tables(store, codebook)  # for the topic files and the report
    if topics:
        written.update(write_topic_outputs(store, codebook, out_dir, tables, plots=False))
        jobs.append(TopicPlots(tables, [t["centroid"] for t in store.topics()], code_names(codebook), out_dir))
    if heavy:
        jobs.append(_QdpxJob(store.dir, codebook, out_dir / "project.qdpx", out_dir.parent.resolve().name))
        written["qdpx"] = out_dir / "project.qdpx"
    children = [(_start(job), job) for job in jobs]
    try:
        if embedder is not None:
            written.update(_write_coded(store, codebook, out_dir, growth, heavy))
            written.update(_quotes_and_report(store, codebook, out_dir, likert_map, embedder, tables))
    except BaseException:
        for pid, job in children:
            _finish(pid, job, redo=False)  # never leave a child running behind an error
        raise
    for pid, job in children:
        _finish(pid, job)
    growth.columns["passages"] = passages.result()
    ledger.record(store, growing, key, growth.columns, counts=growth.counts)
    store.set_meta(EXPORT_STATE_KEY, state)
    return written


@dataclass
class _PassagesJob:
    """The passage tables and documents, written from their own connection to the store (so a
    child process can, beside the coded excerpts); ``result`` is their csv header's metadata
    columns, which the ledger keeps."""

    project: Path
    out_dir: Path
    since: int | None
    columns: list[str] | None

    def __call__(self) -> None:
        import json

        from ottext.export.tabular import write_passages

        with Store(self.project) as store:
            columns = write_passages(store, self.out_dir, self.since, self.columns)
        self._result_path().parent.mkdir(parents=True, exist_ok=True)
        self._result_path().write_text(json.dumps(columns), encoding="utf-8")

    def _result_path(self) -> Path:
        return self.project / "cache" / "passages_columns.json"

    def result(self) -> list[str]:
        import json

        path = self._result_path()
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        finally:
            path.unlink(missing_ok=True)


def _write_coded(store: Store, codebook, out_dir: Path, growth: Growth, heavy: bool) -> dict[str, Path]:
    from ottext.export.coded import grow_coded_csv, grow_coded_xlsx

    long_path, wide_path = (out_dir / name for name, _, _ in CODED_EXPORTS.values())
    growth.columns["coded_long"] = grow_coded_csv(store, codebook, long_path, growth.since,
                                                  growth.columns.get("coded_long"))
    if not heavy:
        return {"coded_long_csv": long_path}
    growth.columns["coded_wide"], growth.counts["coded_wide"] = grow_coded_xlsx(
        store, codebook, wide_path, store.dir / "cache" / WIDE_ROWS, growth.since, growth.columns.get("coded_wide"),
        growth.counts.get("coded_wide", 0))
    return {"coded_long_csv": long_path, "coded_wide_xlsx": wide_path}


def _quotes_and_report(store: Store, codebook, out_dir: Path, likert_map: Path | None, embedder,
                       tables: tuple) -> dict[str, Path]:
    from ottext.export.quotes import select_quotes, write_quotes
    from ottext.report import build_report, write_report

    written, packs = {}, {}
    for code in codebook.ids:
        path = out_dir / "quotes" / f"{code}.md"
        packs[code] = select_quotes(store, codebook, code, embedder)
        write_quotes(packs[code], codebook, code, path, "md")
        written[f"quotes_{code}"] = path
    scores = None
    if likert_map is not None:
        from ottext.scores import health_check_scores

        scores = health_check_scores(None, likert_map, codebook.ids)
    write_report(out_dir / "report.html", build_report(store, codebook, embedder, scores, quotes=packs,
                                                               topic_rows=tables))
    written["report"] = out_dir / "report.html"
    return written


@dataclass
class _QdpxJob:
    """The REFI-QDA project, written from its own connection to the store (so a child process can)."""

    project: Path
    codebook: object
    path: Path
    name: str

    def __call__(self) -> None:
        from ottext.export.refi import write_qdpx

        with Store(self.project) as store:
            write_qdpx(store, self.codebook, self.path, self.name)


def _start(job) -> int | None:
    """Run ``job`` in a forked child process; its pid, or None where processes cannot fork."""
    if not hasattr(os, "fork") or os.environ.get("OTTEXT_EXPORT_PROCESSES") == "1":
        return None
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:  # the child: do the job and leave at once, never running the parent's clean-up
        job()
        code = 0
    except BaseException:  # the parent does the job again and reports any error itself
        log.debug("export child failed:\n%s", traceback.format_exc())
    finally:
        os._exit(code)


def _finish(pid: int | None, job, redo: bool = True) -> None:
    """Wait for the child; if there was none or it failed, do the job here (unless not ``redo``)."""
    if pid is not None:
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) == 0:
            return
    if redo:
        job()
