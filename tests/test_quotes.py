"""Quote packs: readable length, one per respondent, filters, determinism, formats."""

from __future__ import annotations

import json

import pytest
from conftest import FakeEmbedder

from ottext.codebook import load_codebook
from ottext.embed import CachedEmbedder
from ottext.export.quotes import select_quotes, trim, write_quotes
from ottext.run import RunOptions, run_project
from ottext.store import Store

ANSWERS = [
    ("R1", "Senior OT", "I'm holding forty-five cases with no weighting tool and the waiting list keeps growing every "
                        "single week, so I never feel on top of it."),
    ("R1", "Senior OT", "The allocation meeting gives the complex cases to whoever has the fewest names, which is not "
                        "fair on anyone and leaves people exposed."),
    ("R2", "OT", "Our waiting list for assessments is now eleven months long and duty eats every afternoon, so "
                 "nothing gets closed and the backlog grows."),
    ("R3", "OT", "Caseloads are far too high."),
    ("R4", "OT team manager", "We piloted a caseload weighting tool that the team designed and allocation now feels "
                              "fairer, although the waiting list is still long."),
]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("quotes")
    rows = ["id,role,Anything else about your workload?"] + [f'{r},{role},"{text}"' for r, role, text in ANSWERS]
    (folder / "s.csv").write_text("\n".join(rows) + "\n")
    run_project([folder / "s.csv"], folder / "p", RunOptions(model="blank", topics=False))
    return folder


def pick(project, **kw):
    with Store(project / "p") as store:
        return select_quotes(store, load_codebook(), kw.pop("code", "safe_workload"),
                             CachedEmbedder(FakeEmbedder(), store), **kw)


def test_trim_cuts_at_sentence_boundaries():
    text = " ".join(["One short sentence here."] * 20)
    out = trim(text, 20)
    assert out.endswith(".") and len(out.split()) <= 20
    assert trim("A few words only.") == "A few words only."


def test_quotes_are_readable_length_and_one_per_respondent(project):
    quotes = pick(project, n=5)
    assert quotes and all(15 <= len(q.text.split()) <= 60 for q in quotes)
    respondents = [q.respondent for q in quotes]
    assert len(respondents) == len(set(respondents)) and "R3" not in respondents  # R3's answer is too short
    assert all(q.attribution.startswith(f"Respondent {q.respondent}") for q in quotes)


def test_more_than_one_per_respondent_when_asked(project):
    quotes = pick(project, n=5, per_respondent=2)
    assert [q.respondent for q in quotes].count("R1") == 2


def test_filters_by_metadata_and_code_combination(project):
    assert {q.respondent for q in pick(project, where={"role": "OT team manager"})} == {"R4"}
    assert pick(project, also=["registration"]) == []


def test_same_data_gives_the_same_pack(project):
    assert pick(project, n=3) == pick(project, n=3)


@pytest.mark.parametrize("fmt", ["md", "docx", "html", "json"])
def test_every_format_is_written(project, fmt, tmp_path):
    quotes = pick(project, n=3)
    path = tmp_path / f"pack.{fmt}"
    write_quotes(quotes, load_codebook(), "safe_workload", path, fmt)
    data = path.read_bytes()
    assert data
    if fmt == "json":
        assert len(json.loads(data)["quotes"]) == len(quotes)
    if fmt in ("md", "html"):
        assert quotes[0].text.split()[0].encode() in data


def test_embedder_is_swappable():
    assert hasattr(FakeEmbedder(), "embed")


def test_quotes_cli_says_why_fewer_came_back(tmp_path):
    from typer.testing import CliRunner

    from ottext.cli import app

    rows = ["id,role,Anything else about your workload?"] + [f'{r},{role},"{text}"' for r, role, text in ANSWERS]
    (tmp_path / "s.csv").write_text("\n".join(rows) + "\n")
    run_project([tmp_path / "s.csv"], tmp_path / "p", RunOptions(model="blank", topics=False))
    with Store(tmp_path / "p") as store:  # a reviewer gives every passage the code: the pool is known
        ids = [r["id"] for r in store.iter_passages()]
        store.put_human_codings([(pid, "registration", 1) for pid in ids], "ann", "r-test")
    assert len(ids) == len(ANSWERS)
    runner = CliRunner()

    def quotes(*args: str) -> str:
        result = runner.invoke(app, ["quotes", "-p", str(tmp_path / "p"), "--code", "registration", *args])
        assert result.exit_code == 0, result.output
        return result.stdout.strip()

    pack = tmp_path / "p" / "exports" / "quotes" / "registration.md"
    assert quotes("--n", "5") == (
        f"3 quotes for registration -> {pack} (1 more passage had the code but was under the 15-word minimum;"
        " 1 more was by a respondent already quoted once (raise --per-respondent))")
    assert quotes("--n", "3") == f"3 quotes for registration -> {pack}"
    assert quotes("--n", "1") == f"1 quote for registration -> {pack}"
    assert quotes("--n", "5", "--per-respondent", "2") == (
        f"4 quotes for registration -> {pack} (1 more passage had the code but was under the 15-word minimum)")
    assert quotes("--n", "2", "--where", "role=OT team manager") == (
        f"1 quote for registration -> {pack} (no other passage had the code and matched --where)")


def test_context_note_says_asked_only_for_questions():
    from ottext.export.quotes import context_note

    assert context_note("comments") == " (column: comments)"
    assert context_note("Any other comments (optional)") == " (column: Any other comments (optional))"
    assert context_note("What helps?") == " (asked: What helps?)"
    assert context_note("How do you manage your caseload") == " (asked: How do you manage your caseload)"
    assert context_note(None) == "" and context_note("") == ""
