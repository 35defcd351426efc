"""Passages: exact offsets (property-tested), units, stable ids."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ottext.clean import normalise_text
from ottext.ingest import Document
from ottext.passages import segment

WORDS = ["OT", "caseload", "supervision", "is", "high", "Panel", "P1:", "Interviewer:", "Q:", "what", "helps?",
         "n/a", "l've", "-", "#", "\u2019", "caf\u00e9", "\u00a0", "jo@x.org", "07700 900123", "Claire", "."]
TEXT = st.lists(
    st.one_of(st.sampled_from(WORDS), st.sampled_from([" ", "\n", "\n\n", ". ", "? ", "\t"]), st.text(max_size=6)),
    max_size=60,
).map("".join)


def passages_of(cleaner, text: str, kind: str = "text", unit: str = "group"):
    doc = Document(id="d", source="d.txt", kind=kind, text=text)
    cleaned = next(cleaner.clean([doc]))
    return cleaned, segment("d", cleaned.text, cleaned.blocks, cleaned.sentences, unit=unit)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXT, kind=st.sampled_from(["text", "survey_response"]),
       unit=st.sampled_from(["group", "sentence", "paragraph", "turn"]))
def test_offsets_always_cut_the_passage_text(blank_cleaner, text, kind, unit):
    if not text.strip():
        return
    cleaned, passages = passages_of(blank_cleaner, text, kind, unit)
    for p in passages:
        assert cleaned.text[p.start:p.end] == p.text
        assert p.text == p.text.strip() and p.text
    assert len({p.id for p in passages}) == len(passages)


@settings(max_examples=150, deadline=None)
@given(text=TEXT)
def test_normalisation_is_idempotent(text):
    once = normalise_text(text)
    assert normalise_text(once) == once


def test_group_unit_keeps_three_sentences_and_about_80_words(blank_cleaner):
    text = " ".join(f"Sentence number {i} is here." for i in range(7))
    _, passages = passages_of(blank_cleaner, text)
    assert [p.text.count(".") for p in passages] == [3, 3, 1]
    long = " ".join(["word"] * 50) + ". " + " ".join(["more"] * 50) + "."
    _, passages = passages_of(blank_cleaner, long)
    assert len(passages) == 2


def test_units_sentence_paragraph_turn(blank_cleaner):
    text = "Interviewer: How is it?\nP1: Good. Really good.\nAlso busy.\nInterviewer: More?\nP1: No."
    counts = {u: len(passages_of(blank_cleaner, text, unit=u)[1]) for u in ("sentence", "paragraph", "turn")}
    assert counts == {"sentence": 4, "paragraph": 3, "turn": 2}
    _, turns = passages_of(blank_cleaner, text, unit="turn")
    assert turns[0].text == "Good. Really good.\nAlso busy." and turns[0].speaker == "P1"


def test_ids_are_stable_and_depend_only_on_document_and_text(blank_cleaner):
    _, a = passages_of(blank_cleaner, "First point here. Second point.\n\nThird point.")
    _, b = passages_of(blank_cleaner, "A new opening paragraph.\n\nFirst point here. Second point.\n\nThird point.")
    assert {p.id for p in a} <= {p.id for p in b}


def test_low_content_passages_are_kept_and_flagged(blank_cleaner):
    _, passages = passages_of(blank_cleaner, "n/a", kind="survey_response")
    assert [(p.text, p.low_content) for p in passages] == [("n/a", True)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXT, kind=st.sampled_from(["text", "survey_response"]))
def test_whole_cleaning_pipeline_is_idempotent(blank_cleaner, text, kind):
    once = next(blank_cleaner.clean([Document(id="d", source="d.txt", kind=kind, text=text)])).text
    assert next(blank_cleaner.clean([Document(id="d", source="d.txt", kind=kind, text=once)])).text == once


def test_transcript_header_becomes_metadata_and_quoted_question_keeps_its_sentence(blank_cleaner):
    from ottext.ingest.transcript import take_header

    raw = ("Interview transcript\nDate: 12 March 2024\nParticipant: P1\nInterviewer: Jane Smith\n"
           "Role: Senior OT, adult social care\n12 March 2024\nLocation: Teams\nDuration: 45 minutes\n\n"
           'Interviewer: How is it?\nP1: She said "why bother?" and left. It was hard.\nP1: Really hard.')
    doc = take_header(Document(id="d", source="d.txt", kind="text", text=raw))
    assert doc.metadata["participant"] == "P1" and doc.metadata["role"] == "Senior OT, adult social care"
    assert doc.metadata["date"] == "12 March 2024" and doc.metadata["duration"] == "45 minutes"
    assert doc.text.startswith("Interviewer: How is it?") and "Jane Smith" in doc.known_names
    cleaned = next(blank_cleaner.clean([doc]))
    assert cleaned.metadata["interviewer"] == "[PERSON_1]"
    passages = segment("d", cleaned.text, cleaned.blocks, cleaned.sentences, unit="sentence")
    assert [p.text for p in passages] == ['She said "why bother?" and left.', "It was hard.", "Really hard."]
    assert all(cleaned.text[p.start:p.end] == p.text for p in passages)
    article = "Date: 12 March 2024\nCouncils lack tools, a survey found."
    assert take_header(Document(id="a", source="a.txt", kind="text", text=article)).text == article
