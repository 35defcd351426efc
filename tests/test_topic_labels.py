"""Topic labels: phrases written in the passages (not lemmas), acronyms as written, example passages that fit."""

from __future__ import annotations

import re

import numpy as np

from ottext.topics.labels import casing, topic_labels
from ottext.topics.match import fit_scores
from ottext.topics.model import STOP_WORDS

TOPICS = [
    ["Cases sitting waiting on the waiting list for months.", "The waiting list is over 400 and growing.",
     "Families are sitting waiting, the waiting list never shrinks.", "Our waiting list doubled this year."],
    ["NHS pay is better, so we lose staff to the NHS.", "We can't match NHS pay progression for band 6.",
     "Staff leave for NHS pay and the nhs pension.", "Agency staff cost more than NHS pay."],
    ["I keep my CPD record for the HCPC audit at home.", "The HCPC asked for my CPD record last year.",
     "Keeping a CPD record for HCPC renewal takes evenings.", "No time for the CPD record the HCPC wants."],
    ["Supervisors cancelled supervisions twice.", "My supervisors keep cancelling supervisions.",
     "Supervisions were cancelled again by supervisors.", "Supervisions with supervisors are rare."],
]
TERMS = [["sit wait", "waiting list", "wait list"], ["nhs pay", "staff", "pay"], ["cpd record", "hcpc", "renewal"],
         ["supervisor cancel", "supervision", "cancel supervision"]]


def _phrases(label: str) -> list[str]:
    return label.split(" / ")


def _occurs(phrase: str, texts: list[str]) -> bool:
    pattern = r"\b" + r"\s+".join(re.escape(w) for w in phrase.split()) + r"\b"
    return any(re.search(pattern, t, flags=re.IGNORECASE) for t in texts)


def test_labels_are_phrases_that_occur_in_their_topics_passages():
    labels = topic_labels(TOPICS, TERMS, STOP_WORDS)
    assert len(labels) == len(TOPICS)
    for label, texts in zip(labels, TOPICS, strict=True):
        assert label != "(no terms)"
        for phrase in _phrases(label):
            assert _occurs(phrase, texts), (phrase, label)
    assert _phrases(labels[0])[0].lower() == "waiting list"
    assert "sit wait" not in labels[0].lower()


def test_labels_have_no_lemma_only_words():
    labels = topic_labels(TOPICS, TERMS, STOP_WORDS)
    for label, texts in zip(labels, TOPICS, strict=True):
        written = {w.lower() for t in texts for w in re.findall(r"[A-Za-z]+", t)}
        assert {w.lower() for w in re.findall(r"[A-Za-z]+", label)} <= written, label
    assert not {"cancel", "supervisor", "sit", "wait"} & {w.lower() for w in labels[3].replace("/", " ").split()}


def test_acronyms_keep_the_casing_of_the_text():
    labels = topic_labels(TOPICS, TERMS, STOP_WORDS)
    assert "NHS pay" in _phrases(labels[1])
    assert "CPD record" in _phrases(labels[2]) and "HCPC" in labels[2]
    for label in labels:
        assert not re.search(r"\b(Nhs|Cpd|Hcpc)\b", label), label


def test_a_word_capitalised_only_at_a_sentence_start_is_lower_case():
    forms = casing(["Caseload is high. My caseload is 40.", "Caseload again.", "OTA posts. Our OTA left.",
                    "Hot desking!", "Nhs pay. The NHS pays more, the NHS knows."])
    assert forms["caseload"] == "caseload" and forms["hot"] == "hot"
    assert forms["ota"] == "OTA" and forms["nhs"] == "NHS"


def test_example_passages_are_those_that_fit_their_topic_best():
    centroids = np.eye(3, dtype=np.float32)[:2]
    central = np.array([0.8, 0.0, 0.6])  # cosine 0.8 to topic 0, none to topic 1
    between = np.array([0.85, 0.5, 0.0]) / np.linalg.norm([0.85, 0.5, 0.0])  # nearer topic 0, close to topic 1
    scores = fit_scores(np.vstack([central, between]), centroids, np.array([0, 0]))
    assert between @ centroids[0] > central @ centroids[0]  # by cosine alone it would be the example
    assert scores[0] > scores[1]
