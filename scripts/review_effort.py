"""Review effort to coder level: how much of a project a coder must correct, in the review queue's
order, before the whole project agrees with the gold at macro-F1 0.80.

Usage:
  HF_HUB_OFFLINE=1 .venv/bin/python scripts/review_effort.py [--model models/ottext-lga-minilm] [--target 0.8]

Each development set plays a project: the model codes it; a coder corrects the first k% of the
queue (their codes become the gold), the model's codes stand for the rest; the figure is the
smallest k reaching the target. Orders compared: the queue (`ottext review export`: lowest chance
that the passage's whole set of codes is right first), the smallest margin to a threshold, and
random order (mean of 20 shuffles). Also prints how well the chance is calibrated. Evaluates only;
trains nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ottext.classify.confidence import (  # noqa: E402
    calibration_of_sets,
    codes_right_probability,
    gain_order,
    margin_order,
    review_effort,
    review_order,
)
from ottext.classify.data import label_matrix, load_labelled  # noqa: E402
from ottext.classify.features import embed_pair  # noqa: E402
from ottext.classify.locate import load_default  # noqa: E402
from ottext.codebook import load_codebook  # noqa: E402

GOLD = ROOT.parent / "shared" / "gold"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--target", type=float, default=0.80)
    parser.add_argument("sets", nargs="*", type=Path,
                        default=[GOLD / "real_dev.jsonl", GOLD / "seeds_gold.jsonl"])
    args = parser.parse_args()
    cb = load_codebook()
    clf, meta = load_default(cb, args.model)
    print(f"model {meta['version']}; target macro-F1 {args.target:.2f}")
    print("| set | n | macro-F1 before review | lowest chance all right | largest expected gain | smallest margin "
          "| random (20) | chance calibration error |")
    print("|---|---|---|---|---|---|---|---|")
    for path in args.sets:
        if not path.is_file():
            print(f"| {path.name} | missing | | | | | | |")
            continue
        items = load_labelled(path, cb)
        texts, contexts = [i.text for i in items], [i.context for i in items]
        proba = clf.predict_proba(texts, contexts, embed_pair(clf._embedder(), texts, contexts))
        decided = clf.decide(proba.copy())
        truth = label_matrix(items, cb)
        queue, _ = review_effort(truth, decided, review_order(proba, decided), args.target)
        gain, _ = review_effort(truth, decided, gain_order(proba, decided), args.target)
        margin, _ = review_effort(truth, decided, margin_order(proba, clf.thresholds_), args.target)
        shuffled = [review_effort(truth, decided, np.random.default_rng(s).permutation(len(items)), args.target)[0]
                    for s in range(20)]
        start = review_effort(truth, decided, np.arange(0), args.target)[1][0][1]
        cal = calibration_of_sets(truth, decided, codes_right_probability(proba, decided))
        print(f"| {path.stem} | {len(items)} | {start:.3f} | {queue:.0%} | {gain:.0%} | {margin:.0%} "
              f"| {np.mean(shuffled):.0%} | {cal['ece']:.3f} (all right: {cal['all_right']:.0%}) |")


if __name__ == "__main__":
    main()
