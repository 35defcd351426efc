"""Build ottext/clean/data/common_words.txt from spacy-lookups-data's English word probabilities.

A word is listed when its lower-case form is common and far more frequent than its Title-case
form (so "Morale" at the start of a sentence is not mistaken for a name, while "Claire" is).
Run: .venv/bin/python scripts/make_common_words.py
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import spacy_lookups_data

OUT = Path(__file__).resolve().parents[1] / "ottext" / "clean" / "data" / "common_words.txt"
MIN_LOWER_PROB = -16.0
MIN_MARGIN = 1.0


def main() -> None:
    source = Path(spacy_lookups_data.__file__).parent / "data" / "en_lexeme_prob.json.gz"
    probs = json.loads(gzip.decompress(source.read_bytes()))
    words = set()
    for word, prob in probs.items():
        if not word.isalpha() or not word.islower() or prob < MIN_LOWER_PROB:
            continue
        title = probs.get(word.title())
        if title is None or prob - title >= MIN_MARGIN:
            words.add(word)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(sorted(words)) + "\n", encoding="utf-8")
    print(f"{len(words)} words -> {OUT}")


if __name__ == "__main__":
    main()
