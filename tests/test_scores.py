"""Health-check scores: scale, reversed items, LGA bands, and what each bad map gets."""

from __future__ import annotations

import pytest

from ottext.codebook import load_codebook
from ottext.errors import OttextError
from ottext.scores import band, health_check_scores


def survey(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("id,Q_sup,Q_mwl,Q_reg\n1,Strongly agree,Agree,Agree\n2,Agree,Strongly agree,maybe\n"
                    "3,Disagree,Disagree,\n")
    return path


def write_map(tmp_path, text):
    path = tmp_path / "map.yaml"
    path.write_text(text)
    return path


def test_bands_follow_the_lga_health_check():
    assert [band(x) for x in (0, 50, 50.4, 51, 74, 75, 100)] == ["low", "low", "low", "moderate", "moderate",
                                                                   "high", "high"]


def test_scores_out_of_100_with_reversed_items_and_unknown_answers_skipped(tmp_path):
    m = write_map(tmp_path, "standards:\n  supervision: [Q_sup]\n  registration: [Q_reg]\n"
                            "  more_with_less:\n    - {column: Q_mwl, reversed: true}\n")
    scores = {s.code: s for s in health_check_scores(survey(tmp_path), m, load_codebook().ids)}
    assert scores["supervision"].score == pytest.approx((100 + 75 + 25) / 3, abs=0.05)
    assert scores["supervision"].band == "moderate"
    assert scores["more_with_less"].score == pytest.approx((25 + 0 + 75) / 3, abs=0.05)
    assert (scores["registration"].answers, scores["registration"].skipped) == (1, 1)


def test_demo_map_names_its_survey():
    from conftest import DEMO

    scores = health_check_scores(None, DEMO / "likert_map.yaml", load_codebook().ids)
    assert len(scores) == 9 and all(s.answers == 150 for s in scores)


@pytest.mark.parametrize("text, needle", [
    ("standards:\n  supervision: [Nope]\n", "column 'Nope' is not in"),
    ("standards:\n  pay: [Q_sup]\n", "standard 'pay' is not a code"),
    ("standards: [1, 2]\n", "needs a 'standards' mapping"),
    ("standards: {supervision: [Q_sup\n", "not a usable Likert map"),
])
def test_bad_maps_get_one_line_naming_the_file(tmp_path, text, needle):
    m = write_map(tmp_path, text)
    with pytest.raises(OttextError) as err:
        health_check_scores(survey(tmp_path), m, load_codebook().ids)
    assert needle in str(err.value) and "map.yaml" in str(err.value) and "\n" not in str(err.value)
