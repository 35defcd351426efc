"""The stdlib .xlsx writer: what openpyxl reads back is what was written, and the package is well formed."""

from __future__ import annotations

import math
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from ottext.export.xlsx import MAX_CELL_CHARS, Sheet, column_letter, rows_xml, write_xlsx

ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _write(tmp_path: Path, rows: list[list[object]], name: str = "book.xlsx") -> Path:
    path = tmp_path / name
    write_xlsx(path, [Sheet("data", [rows_xml(rows, 1)])])
    return path


def _read(path: Path, sheet: int = 0) -> list[list[object]]:
    ws = load_workbook(path).worksheets[sheet]
    return [list(row) for row in ws.iter_rows(values_only=True)]


def _sheet_xml(path: Path, n: int = 1) -> str:
    with zipfile.ZipFile(path) as zf:
        return zf.read(f"xl/worksheets/sheet{n}.xml").decode("utf-8")


def test_values_round_trip_by_type(tmp_path):
    rows = [["text", 42, -7, 3.25, 0.1, 1e-300, 1.7976931348623157e308, True, False, None, "after none"],
            [2**53 + 1, -0.0, 123456789.123456789, "", "  padded  ", 0, None, None, None, None, "last"]]
    got = _read(_write(tmp_path, rows))
    assert got[0] == rows[0]
    assert got[1][:4] == [2**53 + 1, 0.0, 123456789.123456789, None]  # "" is an empty cell, as in openpyxl
    assert got[1][4:6] == ["  padded  ", 0] and got[1][-1] == "last"
    assert type(got[0][7]) is bool and type(got[0][1]) is int and type(got[0][3]) is float


def test_missing_numbers_are_empty_cells(tmp_path):
    path = _write(tmp_path, [[math.nan, math.inf, -math.inf, None, np.float64("nan"), 1]])
    assert _read(path) == [[None, None, None, None, None, 1]]
    assert "<c " in _sheet_xml(path) and _sheet_xml(path).count("<c ") == 1  # no <c> at all for the empties


def test_numpy_scalars_are_numbers(tmp_path):
    rows = [[np.int64(5), np.int32(-3), np.float64(2.5), np.float32(0.1), np.bool_(True), np.uint8(255)]]
    got = _read(_write(tmp_path, rows))
    assert got == [[5, -3, 2.5, 0.1, True, 255]]  # float32 0.1 is written as 0.1, not 0.10000000149
    assert "<v>0.1</v>" in _sheet_xml(_write(tmp_path, rows))


def test_other_values_are_written_as_their_text(tmp_path):
    class Code:
        def __str__(self) -> str:
            return "code <A>"

    assert _read(_write(tmp_path, [[Code(), Path("a/b"), ("x", 1)]])) == [["code <A>", "a/b", "('x', 1)"]]


def test_unicode_round_trips(tmp_path):
    rows = [["emoji 😀👩‍👩‍👧", "日本語のテキスト", "العربية", "Ελληνικά", "e\u0301 combining", "tab\there",
             "line\nbreak", "crlf\r\nkept", "lone\rcr", "\ufeffbom", "🎉" * 10]]
    assert _read(_write(tmp_path, rows)) == rows


def test_formula_like_text_stays_text(tmp_path):
    rows = [["=SUM(A1:A2)", "=1+1", "+1", "-2", "@x", "=HYPERLINK(\"http://x\")"]]
    path = _write(tmp_path, rows)
    ws = load_workbook(path).active
    assert [c.value for c in ws[1]] == rows[0]
    assert {c.data_type for c in ws[1]} == {"s"}
    assert "<f>" not in _sheet_xml(path)


def test_xml_special_characters_are_escaped(tmp_path):
    rows = [["<b>bold</b>", "a & b", "&amp; already", "]]>", "quote \" and '", "<![CDATA[x]]>"]]
    assert _read(_write(tmp_path, rows)) == rows


def test_illegal_control_characters_are_stripped(tmp_path):
    rows = [["a\x00b\x01c\x08d\x0be\x0cf\x1fg", "nul\x00", "lone \ud800 surrogate", "non\ufffechar\uffff", "\x07",
             "end"]]
    assert _read(_write(tmp_path, rows)) == [["abcdefg", "nul", "lone  surrogate", "nonchar", None, "end"]]


def test_excel_escape_lookalikes_are_written_as_given(tmp_path):
    path = _write(tmp_path, [["_x000D_ and _x0041_", "_x00_ short"]])
    assert ">_x000D_ and _x0041_<" in _sheet_xml(path)  # as openpyxl writes them
    assert _read(path) == [["_x000D_ and _x0041_", "_x00_ short"]]


def test_long_text_is_cut_to_excel_limit(tmp_path):
    rows = [["a" * 40_000, "😀" * 20_000, "b" * MAX_CELL_CHARS, "é" * 40_000]]
    got = _read(_write(tmp_path, rows))[0]
    assert got[0] == "a" * MAX_CELL_CHARS
    assert got[1] == "😀" * (MAX_CELL_CHARS // 2)  # the limit counts UTF-16 units; no half emoji
    assert got[2] == rows[0][2] and got[3] == "é" * MAX_CELL_CHARS


@settings(max_examples=25, deadline=None)
@given(st.lists(st.text(max_size=60), min_size=1, max_size=20))
def test_any_text_reads_back_without_illegal_characters(tmp_path_factory, texts):
    path = _write(tmp_path_factory.mktemp("prop"), [texts])
    ws = load_workbook(path).active
    assert [ws.cell(1, j).value for j in range(1, len(texts) + 1)] == [ILLEGAL.sub("", t) or None for t in texts]


@pytest.mark.parametrize(("index", "letters"), [(1, "A"), (26, "Z"), (27, "AA"), (52, "AZ"), (53, "BA"),
                                                (702, "ZZ"), (703, "AAA"), (16384, "XFD")])
def test_column_letters(index, letters):
    assert column_letter(index) == letters


def test_column_letter_rejects_zero():
    with pytest.raises(ValueError):
        column_letter(0)


def test_many_columns_land_in_right_cells(tmp_path):
    wide = [f"c{j}" for j in range(1, 61)]
    widest = list(range(1, 801))  # past ZZ (702)
    path = tmp_path / "wide.xlsx"
    write_xlsx(path, [Sheet("wide", [rows_xml([wide, widest], 1)])])
    ws = load_workbook(path).active
    assert [ws.cell(1, j).value for j in range(1, 61)] == wide
    assert ws["AZ1"].value == "c52" and ws["BH1"].value == "c60"
    assert ws["ZZ2"].value == 702 and ws["AAA2"].value == 703 and ws["ADT2"].value == 800


def test_rows_and_cells_carry_references():
    xml = rows_xml([[1, None, "x"], []], 5)
    assert xml == ('<row r="5"><c r="A5"><v>1</v></c><c r="C5" t="inlineStr"><is><t xml:space="preserve">x</t>'
                   '</is></c></row><row r="6"></row>')


def test_rows_serialised_in_pieces_equal_rows_serialised_at_once():
    rows = [[i, f"row {i}", i / 3] for i in range(10)]
    assert rows_xml(rows[:4], 2) + rows_xml(rows[4:], 6) == rows_xml(rows, 2)


def test_two_sheets_with_names(tmp_path):
    path = tmp_path / "two.xlsx"
    write_xlsx(path, [Sheet("coded excerpts", [rows_xml([["h1", "h2"], [1, 2]], 1)]),
                      Sheet("codebook & <notes>", [rows_xml([["id"], ["c1"]], 1)])])
    wb = load_workbook(path)
    assert wb.sheetnames == ["coded excerpts", "codebook & <notes>"]
    assert _read(path, 0) == [["h1", "h2"], [1, 2]] and _read(path, 1) == [["id"], ["c1"]]


def test_sheet_names_are_made_acceptable_to_excel(tmp_path):
    names = ["a/b:c*?[x]\\y", "n" * 40, "n" * 40, "", "'quoted'", "History", "tab\there"]
    path = tmp_path / "names.xlsx"
    write_xlsx(path, [Sheet(name, []) for name in names])
    got = load_workbook(path).sheetnames
    assert got[0] == "a_b_c___x__y" and got[1] == "n" * 31 and got[2] == "n" * 27 + " (2)"
    assert got[3] == "Sheet4" and got[4] == "quoted" and got[5] == "History (2)" and got[6] == "tab_here"
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in got)


def test_parts_from_file_and_string_give_the_same_workbook(tmp_path):
    rows = [[i, f"text {i} ✓", i * 0.5, i % 2 == 0] for i in range(1, 200)]
    saved = tmp_path / "rows.xml"
    saved.write_text(rows_xml(rows[:150], 1), encoding="utf-8")
    split, whole = tmp_path / "split.xlsx", tmp_path / "whole.xlsx"
    write_xlsx(split, [Sheet("s", [saved, rows_xml(rows[150:], 151)])])
    write_xlsx(whole, [Sheet("s", [rows_xml(rows, 1)])])
    assert split.read_bytes() == whole.read_bytes()
    assert _read(split) == rows


def test_large_parts_are_copied_in_blocks(tmp_path):
    rows = [[i, "ü" * 300, "x" * 300] for i in range(1, 3001)]  # each part is well over the 1 MB block
    saved = tmp_path / "rows.xml"
    saved.write_text(rows_xml(rows[:1500], 1), encoding="utf-8")
    text = rows_xml(rows[1500:], 1501)
    assert saved.stat().st_size > 1 << 20 and len(text) > 1 << 20
    path = tmp_path / "large.xlsx"
    write_xlsx(path, [Sheet("s", [saved, text])])
    assert _read(path) == rows


def test_same_input_gives_byte_identical_files(tmp_path):
    rows = [["a", 1, 2.5, True, None]]
    first, second = _write(tmp_path, rows, "first.xlsx"), _write(tmp_path, rows, "second.xlsx")
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as zf:
        assert {info.date_time for info in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}  # no clock in the file


def test_every_part_is_well_formed_and_referenced(tmp_path):
    path = tmp_path / "parts.xlsx"
    write_xlsx(path, [Sheet("one", [rows_xml([["a & <b>", 1]], 1)]), Sheet("two", [])])
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
        assert names[0] == "[Content_Types].xml"
        assert {"_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
                "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"} <= set(names)
        parsed = {name: ElementTree.fromstring(zf.read(name)) for name in names}
        assert zf.getinfo("xl/worksheets/sheet1.xml").compress_type == zipfile.ZIP_DEFLATED
    overrides = {e.get("PartName") for e in parsed["[Content_Types].xml"]}
    assert {f"/{n}" for n in names if not n.endswith(".rels") and n != "[Content_Types].xml"} <= overrides
    targets = {e.get("Target") for e in parsed["xl/_rels/workbook.xml.rels"]}
    assert {f"xl/{t}" for t in targets} <= set(names)
    assert parsed["xl/worksheets/sheet1.xml"].tag.endswith("}worksheet")


def test_a_failed_write_leaves_the_old_file(tmp_path):
    path = _write(tmp_path, [["old"]])
    before = path.read_bytes()
    with pytest.raises(FileNotFoundError):
        write_xlsx(path, [Sheet("s", [tmp_path / "missing.xml"])])
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]  # no temporary file left


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="sheets"):
        write_xlsx(tmp_path / "none.xlsx", [])
    with pytest.raises(ValueError, match="Paths"):  # a file name given as str would be written as XML
        write_xlsx(tmp_path / "none.xlsx", [Sheet("s", [str(tmp_path / "rows.xml")])])
    with pytest.raises(ValueError, match="from 1"):
        rows_xml([[1]], 0)
    assert list(tmp_path.iterdir()) == []


def test_a_table_of_export_size_round_trips(tmp_path):
    """Not timed: the export's shape (header + 2,000 rows x 55 mixed columns) is written and read back whole."""
    header = [f"column {j}" for j in range(55)]
    rows = [[(f"excerpt {i}-{j} " * 12)[:200] if j % 3 == 0 else (i * j if j % 3 == 1 else i / (j + 1))
             for j in range(55)] for i in range(2000)]
    path = tmp_path / "export.xlsx"
    write_xlsx(path, [Sheet("coded excerpts", [rows_xml([header], 1), rows_xml(rows, 2)]),
                      Sheet("codebook", [rows_xml([["id", "name"]], 1)])])
    got = load_workbook(path, read_only=True)["coded excerpts"]
    assert [list(r) for r in got.iter_rows(values_only=True)] == [header, *rows]
