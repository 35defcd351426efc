"""Two saved models side by side: per-code F1 and kappa on the development sets and the corpus's
held-out test split, with 95% paired-bootstrap intervals of the difference.

Usage:
  HF_HUB_OFFLINE=1 .venv/bin/python scripts/compare_models.py OLD_MODEL_DIR NEW_MODEL_DIR [--markdown FILE]

Both models code the same passages; the intervals resample passages once for both (2,000
resamples, fixed seed), so an interval above zero means the new model is better on that set.
The test split is the current corpus's (a hash of each id), scored with the current labels.
Evaluates only; trains nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ottext.classify.data import label_matrix, load_corpus, load_labelled  # noqa: E402
from ottext.classify.locate import default_corpus_dir, load_default  # noqa: E402
from ottext.classify.metrics import agreement, paired_difference  # noqa: E402
from ottext.codebook import load_codebook  # noqa: E402

GOLD = ROOT.parent / "shared" / "gold"


def codes_of(clf, items) -> np.ndarray:
    proba = clf.predict_proba([i.text for i in items], [i.context for i in items])
    return clf.decide(proba)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--markdown", type=Path, help="Also write the tables to this file.")
    args = parser.parse_args()
    cb = load_codebook()
    sets = {name: load_labelled(GOLD / f"{name}.jsonl", cb) for name in ("real_dev", "seeds_gold")
            if (GOLD / f"{name}.jsonl").is_file()}
    sets["held-out test split"] = [i for i in load_corpus(default_corpus_dir(), cb) if i.split == "test"]
    old, new = load_default(cb, args.old)[0], load_default(cb, args.new)[0]
    lines = []
    for name, items in sets.items():
        truth = label_matrix(items, cb)
        y_old, y_new = codes_of(old, items), codes_of(new, items)
        a_old, a_new = agreement(truth, y_old, cb.ids), agreement(truth, y_new, cb.ids)
        diff = paired_difference(truth, y_new, y_old)
        lines += [f"### {name} ({len(items)} passages)", "",
                  f"macro-F1 {a_old['macro_f1']:.3f} -> {a_new['macro_f1']:.3f} "
                  f"(difference {diff['macro_f1'][0]:+.3f} to {diff['macro_f1'][1]:+.3f}); "
                  f"mean kappa {a_old['mean_kappa']:.3f} -> {a_new['mean_kappa']:.3f} "
                  f"(difference {diff['mean_kappa'][0]:+.3f} to {diff['mean_kappa'][1]:+.3f})", "",
                  "| code | support | F1 old | F1 new | kappa old | kappa new |", "|---|---|---|---|---|---|"]
        for code in cb.ids:
            o, n = a_old["per_code"][code], a_new["per_code"][code]
            lines.append(f"| {code} | {o['support']} | {o['f1']:.2f} | {n['f1']:.2f} | {o['kappa']:.2f} "
                         f"| {n['kappa']:.2f} |")
        lines.append("")
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
