"""Benchmark `ottext code` on 2,000 passages, model loading included (target: under 30 s here).

Usage: .venv/bin/python scripts/bench_code.py [N] [MODEL_DIR]
The passages are the demo corpus's passages and the training corpus's texts, repeated with a
numbered suffix until there are N; the whole CLI runs in a subprocess and is timed end to end.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def passages(n: int) -> list[dict]:
    texts = []
    for f in sorted((ROOT / "corpora" / "training").glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            texts.append((rec["text"], rec.get("context", "")))
    out = []
    i = 0
    while len(out) < n:
        text, ctx = texts[i % len(texts)]
        suffix = f" ({i // len(texts)})" if i >= len(texts) else ""
        out.append({"id": f"p{i}", "text": text + suffix, "context": ctx})
        i += 1
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    model = ["--model", sys.argv[2]] if len(sys.argv) > 2 else []  # default: the shipped model
    exe = Path(sys.executable).parent / "ottext"
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        src.write_text("\n".join(json.dumps(p) for p in passages(n)) + "\n", encoding="utf-8")
        env = {**os.environ, "HF_HUB_OFFLINE": "1"}
        start = time.perf_counter()
        subprocess.run([str(exe), "code", str(src), "--out", str(out), "--quiet", *model], check=True, env=env)
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        lines = sum(1 for _ in out.open())
    print(json.dumps({"passages": n, "coded": lines, "seconds": round(seconds, 2),
                      "passages_per_second": round(n / seconds, 1), "peak_rss_mb": round(peak)}))


if __name__ == "__main__":
    main()
