"""How the shipped model reads: non-answers get no code, and polarity is never reversed.

The cases from a new user's first look (issue 16) and others like them written for these tests;
none is in the training corpus (checked below), so they test reading, not recall.
"""

from __future__ import annotations

import json

import pytest
from conftest import ROOT

from ottext.classify.coder import PassageIn, code_passages
from ottext.classify.locate import load_default
from ottext.codebook import load_codebook

HELPS, HINDERS = "What helps you do your best work?", "What gets in the way?"
# the issue's own "Nothing major." is now a training passage (g-0025), so it is tested in other words
NON_ANSWERS = [
    (HELPS, "not much."), (HINDERS, "Nothing major comes to mind."), (HINDERS, "n/a"),
    (HELPS, "Can't think of anything."),
    (HINDERS, "No comment."), (HELPS, "see above"), (HINDERS, "-"), (HELPS, "Not sure really."),
    ("Is there anything else you would like to tell us?", "No, that's everything thanks."),
]
# (context, text, codes it must not get, codes it must get)
POLARITY = [
    (HINDERS, "Nothing much, I'm lucky in my team.", {"barrier"}, set()),
    ("How would you describe your workload?", "Caseload over 50 and rising. I'm drowning.", {"enabler"},
     {"safe_workload"}),
    (HELPS, "We have a decent equipment budget of our own.", {"more_with_less", "barrier"}, set()),
    ("Tell us about professional registration.", "The council pays our HCPC fees every year.", {"barrier"},
     {"registration"}),
    ("Tell us about your role.", "I hold no caseload, which was a deliberate choice when I took this post.",
     {"barrier"}, set()),
    (HINDERS, "Three vacancies since spring and agency cover that never lasts.", {"enabler", "pride_satisfaction"},
     {"workforce_planning"}),
    (HELPS, "A manager who actually protects my supervision time.", {"barrier"}, {"supervision"}),
]


def _cases(rows, ids):
    return [pytest.param(*r, id=ids(r)) for r in rows]


@pytest.fixture(scope="module")
def coded(minilm):
    cb = load_codebook()
    clf, _ = load_default(cb, embedder=minilm)
    cases = NON_ANSWERS + [(c, t) for c, t, _, _ in POLARITY]
    out = code_passages(clf, [PassageIn(str(i), t, c) for i, (c, t) in enumerate(cases)])
    return {(c, t): set(o.codes) for (c, t), o in zip(cases, out, strict=True)}


def test_cases_are_not_in_the_training_corpus():
    texts = {json.loads(line)["text"].strip().lower() for f in (ROOT / "corpora" / "training").glob("*.jsonl")
             for line in f.read_text(encoding="utf-8").splitlines() if line.strip()}
    assert not [t for _, t in NON_ANSWERS if t.lower() in texts and len(t) > 12]
    assert not [t for _, t, _, _ in POLARITY if t.lower() in texts]


@pytest.mark.parametrize("context, text", _cases(NON_ANSWERS, lambda r: r[1]))
def test_a_non_answer_gets_no_code(coded, context, text):
    assert coded[(context, text)] == set()


@pytest.mark.parametrize("context, text, never, always", _cases(POLARITY, lambda r: r[1][:30]))
def test_polarity_is_read_right(coded, context, text, never, always):
    codes = coded[(context, text)]
    assert not codes & never, codes
    assert always <= codes, codes
