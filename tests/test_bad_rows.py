"""One bad row never costs a whole file; what each bad row gets:

- a CSV cell over 131,072 characters (Python's default field limit) -> read, the row kept;
- a CSV cell over 1,000,000 characters -> that row skipped with a warning naming file and row;
- a NUL byte in one CSV cell -> that row skipped with a warning naming file and row, the rest kept;
- many NUL bytes -> still refused as a binary file (E004);
- a JSONL line with a lone surrogate escape ("\\ud800") -> that line skipped with a warning, the rest kept.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ottext.errors import IngestError
from ottext.ingest import InputFile, read_file
from ottext.ingest.survey import MAX_CELL_CHARS

HEADER = "respondent_id,What gets in the way?\n"


def read(path: Path):
    return read_file(InputFile(path, path.name), path.read_bytes())


def _answers(result) -> dict[str, str]:
    return {d.respondent: d.text for d in result.documents}


def test_a_cell_longer_than_the_csv_default_limit_is_read(tmp_path):
    long = "Caseloads are too high. " * 6000  # 144,000 characters
    path = tmp_path / "long.csv"
    path.write_text(HEADER + f'R1,"{long}"\nR2,Supervision is monthly.\n', encoding="utf-8")
    result = read(path)
    answers = _answers(result)
    assert len(long) > 131_072 and set(answers) == {"R1", "R2"}
    assert len(answers["R1"]) > 131_072 and result.warnings == []


def test_a_cell_over_the_cell_limit_skips_only_its_row(tmp_path):
    path = tmp_path / "huge.csv"
    path.write_text(HEADER + "R1,Supervision is monthly.\n" + "R2," + "x" * (MAX_CELL_CHARS + 1) + "\n"
                    + "R3,Hot desking wears me down.\n", encoding="utf-8")
    result = read(path)
    assert set(_answers(result)) == {"R1", "R3"}
    assert len(result.warnings) == 1 and f"{path} row 3" in result.warnings[0] and "row skipped" in result.warnings[0]


def test_a_nul_byte_in_one_cell_skips_only_its_row(tmp_path):
    path = tmp_path / "nul.csv"
    path.write_bytes((HEADER + "R1,Supervision is monthly.\nR2,Case\x00loads are high.\n"
                      "R3,Hot desking wears me down.\n").encode("utf-8"))
    result = read(path)
    assert set(_answers(result)) == {"R1", "R3"}
    assert len(result.warnings) == 1
    assert f"{path} row 3: a cell holds a NUL byte; row skipped" == result.warnings[0]


def test_a_file_full_of_nul_bytes_is_still_binary(tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(HEADER.encode() + b"R1,\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00 binary\n")
    with pytest.raises(IngestError, match="NUL bytes"):
        read(path)


def test_a_jsonl_line_with_a_lone_surrogate_skips_only_that_line(tmp_path):
    path = tmp_path / "s.jsonl"
    lines = [json.dumps({"id": "R1", "text": "Supervision is monthly."}),
             '{"id": "R2", "text": "broken \\ud800 text"}',
             json.dumps({"id": "R3", "text": "Hot desking wears me down."})]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = read(path)
    texts = [d.text for d in result.documents]
    assert texts == ["Supervision is monthly.", "Hot desking wears me down."]
    assert len(result.warnings) == 1 and f"{path} line 2" in result.warnings[0]
    assert "lone surrogate" in result.warnings[0]
