"""Benchmark cleaning one long document: a one-line text file of N MB through `ottext run` with the
default (trained) pipeline, its pieces parsed by 1 and then 2 worker processes.

Usage:
  .venv/bin/python scripts/bench_long_doc.py --mb 2 [--processes 1 2] [--fast]

Each run is a fresh project in its own process (no coding, no topics: cleaning is what is measured).
Prints, per worker count: wall seconds, the child's own peak memory (VmHWM, and its workers'
ru_maxrss), and how many progress lines it wrote to stderr while cleaning.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SENTENCES = [
    "Caseloads keep rising and supervision gets cancelled, so we cope as best we can.",
    "The waiting list for assessments is eleven months long and duty eats every afternoon.",
    "Our manager protects CPD time and the team shares what it learns at monthly meetings.",
    "Hot desking means I spend the first hour finding a desk and the IT is slow.",
    "We piloted a weighting tool for allocation and it feels fairer than before.",
]
LAUNCH = (
    "import atexit, os, re, resource, sys\n"
    "def _peak():\n"
    "    kb = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())\n"
    "    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "    open(os.environ['PEAK_FILE'], 'w').write(f\"{int(kb.group(1)) if kb else 0} {workers}\")\n"
    "atexit.register(_peak)\n"
    "from ottext.cli import main\n"
    "sys.argv[0] = 'ottext'\n"
    "main()\n"
)


def build(path: Path, mb: float) -> None:
    """A one-line file of ``mb`` MB: the sentences above, numbered, with no line break."""
    size, i = int(mb * 1024 * 1024), 0
    with path.open("w", encoding="utf-8") as fh:
        written = 0
        while written < size:
            piece = f"{SENTENCES[i % len(SENTENCES)]} ({i}) "
            fh.write(piece)
            written += len(piece)
            i += 1


def run_once(text: Path, work: Path, processes: int, fast: bool) -> dict:
    project, peak_file = work / f"p{processes}", work / f"peak{processes}"
    args = ["run", str(text), "--project", str(project), "--no-code", "--no-topics", "--processes", str(processes),
            "--max-file-mb", "1000", *(["--fast"] if fast else [])]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PEAK_FILE": str(peak_file)}
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", LAUNCH, *args], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"ottext run failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    own, workers = (int(v) for v in peak_file.read_text().split())
    progress = [line for line in proc.stderr.splitlines() if line.startswith("ottext: cleaning ")]
    return {"processes": processes, "seconds": seconds, "peak_mb": own / 1024, "workers_peak_mb": workers / 1024,
            "progress_lines": len(progress), "last_progress": progress[-1] if progress else ""}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=2.0)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--fast", action="store_true", help="the blank pipeline (no parser to spread)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        text = work / "one_line.txt"
        build(text, args.mb)
        print(f"one-line text of {text.stat().st_size / 1e6:.1f} MB, {'blank' if args.fast else 'trained'} pipeline,"
              f" {os.cpu_count()} cores")
        for p in args.processes:
            r = run_once(text, work, p, args.fast)
            print(f"  processes={r['processes']}: {r['seconds']:.1f}s, peak {r['peak_mb']:.0f} MB "
                  f"(workers {r['workers_peak_mb']:.0f} MB), {r['progress_lines']} progress lines; "
                  f"last: {r['last_progress']}")


if __name__ == "__main__":
    main()
