"""The codebook: default codes, hierarchy, and one clear error per malformed file."""

from __future__ import annotations

import pytest
import yaml
from typer.testing import CliRunner

from ottext.cli import app
from ottext.codebook import load_codebook
from ottext.errors import CodebookError

EXPECTED_IDS = ["framework", "workforce_planning", "safe_workload", "wellbeing", "environment_resources",
                "supervision", "cpd", "registration", "partnerships", "enabler", "barrier", "more_with_less",
                "pride_satisfaction"]


def test_default_codebook_has_exactly_the_agreed_ids():
    cb = load_codebook()
    assert cb.ids == EXPECTED_IDS
    assert [cb[c].number for c in cb.ids[:9]] == [1, 2, 3, 4, 4, 5, 6, 7, 8]
    for code in cb.codes:
        assert code.definition and code.include and code.exclude and code.examples, code.id


def test_child_code_implies_parent():
    cb = load_codebook()
    assert cb["environment_resources"].parent == "wellbeing"
    assert cb.roll_up(["environment_resources", "barrier"]) == ["wellbeing", "environment_resources", "barrier"]
    assert cb.children("wellbeing") == ["environment_resources"]


def test_hash_changes_with_content(tmp_path):
    cb = load_codebook()
    data = cb.to_dict()
    data["codes"][0]["definition"] += " More."
    path = tmp_path / "cb.yaml"
    path.write_text(yaml.safe_dump(data))
    assert load_codebook(path).hash != cb.hash


def _write(tmp_path, codes) -> str:
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump({"name": "mine", "codes": codes}))
    return str(path)


@pytest.mark.parametrize("codes, needles", [
    ([{"id": "a", "name": "A"}], ["mine.yaml", "code 'a'", "field 'definition'"]),
    ([{"id": "Bad Id", "name": "A", "definition": "d"}], ["code 'Bad Id'", "field 'id'"]),
    ([{"id": "a", "name": "A", "definition": "d", "include": "x"}], ["code 'a'", "field 'include'"]),
    ([{"id": "a", "name": "A", "definition": "d", "colour": "red"}], ["code 'a'", "field 'colour'"]),
    ([{"id": "a", "name": "A", "definition": "d", "group": "x"}], ["field 'group'"]),
    ([{"id": "a", "name": "A", "definition": "d", "parent": "zz"}], ["code 'a'", "parent 'zz'"]),
    ([{"id": "a", "name": "A", "definition": "d"}, {"id": "a", "name": "B", "definition": "e"}],
     ["'a'", "more than once"]),
    ([{"id": "a", "name": "A", "definition": "d", "parent": "b"},
      {"id": "b", "name": "B", "definition": "e", "parent": "a"}], ["cycle"]),
])
def test_malformed_codebook_error_names_file_code_and_field(tmp_path, codes, needles):
    with pytest.raises(CodebookError) as err:
        load_codebook(_write(tmp_path, codes))
    message = str(err.value)
    assert "\n" not in message
    for needle in needles:
        assert needle in message


def test_codebook_that_is_not_yaml_gets_one_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("codes: [unclosed\n  - x: {")
    with pytest.raises(CodebookError, match="broken.yaml: codebook is not valid YAML"):
        load_codebook(path)


def test_codebook_cli_show_and_validate(tmp_path):
    runner = CliRunner()
    shown = runner.invoke(app, ["codebook", "show", "--json"])
    assert shown.exit_code == 0 and '"safe_workload"' in shown.output
    ok = runner.invoke(app, ["codebook", "validate", str(load_codebook().source)])
    assert ok.exit_code == 0 and "13 codes" in ok.output
    bad = runner.invoke(app, ["codebook", "validate", _write(tmp_path, [{"id": "a"}])])
    assert bad.exit_code == 1
    assert "field 'name'" in bad.output and "Traceback" not in bad.output
