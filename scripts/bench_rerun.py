"""Benchmark an immediate re-run of the main job against the first run (target: 10 times faster,
and nothing embedded on the re-run).

Usage: .venv/bin/python scripts/bench_rerun.py
Runs `ottext run corpora/demo --likert-map corpora/demo/likert_map.yaml --json` twice in a new
temporary project (as `make run` does), each in its own process, and times both end to end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(cmd: list[str]) -> tuple[float, dict]:
    start = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    return time.perf_counter() - start, json.loads(out.stdout)


def main() -> None:
    exe = str(Path(sys.executable).parent / "ottext")
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [exe, "run", str(ROOT / "corpora" / "demo"), "--project", str(Path(tmp) / "p"),
               "--likert-map", str(ROOT / "corpora" / "demo" / "likert_map.yaml"), "--json"]
        first, s1 = timed(cmd)
        second, s2 = timed(cmd)
    print(json.dumps({"first_run_s": round(first, 2), "rerun_s": round(second, 2),
                      "speedup": round(first / second, 1), "first_embedded": s1["passages_embedded"],
                      "rerun_embedded": s2["passages_embedded"], "rerun_files_read": s2["files_read"],
                      "rerun_coded": s2["passages_coded"]}))


if __name__ == "__main__":
    main()
