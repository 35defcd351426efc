"""Coded-excerpt exports: shapes, provenance, formats, formula escaping, redaction, atomic writes."""

from __future__ import annotations

import csv
import json

import pytest
from typer.testing import CliRunner

from ottext.cli import app
from ottext.codebook import load_codebook
from ottext.export.coded import coded_rows, write_coded
from ottext.export.files import atomic_write
from ottext.run import RunOptions, run_project
from ottext.store import Store

ROWS = [
    "respondent_id,role,manager,What gets in the way?",
    "R1,OT,Claire Hartley,=SUM(A1:A9) the IT system crashes and I lose my notes",
    "R2,Senior OT,Sam Okafor,+Panel delays every adaptation and Claire Hartley agrees",
    "R3,@OT,Sam Okafor,-No HCPC fee support from the council at all",
    "R4,OT,Sam Okafor,n/a",
]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("export")
    (folder / "survey.csv").write_text("\n".join(ROWS) + "\n")
    run_project([folder / "survey.csv"], folder / "p", RunOptions(model="blank", topics=False))
    return folder


def test_long_and_wide_shapes_carry_provenance(project):
    cb = load_codebook()
    with Store(project / "p") as store:
        long_cols, long_rows = coded_rows(store, cb, "long")
        wide_cols, wide_rows = coded_rows(store, cb, "wide")
    long_rows = [dict(zip(long_cols, r, strict=True)) for r in long_rows]
    wide_rows = [dict(zip(wide_cols, r, strict=True)) for r in wide_rows]
    for col in ("passage_id", "document", "respondent", "meta:role", "context", "start", "end", "text",
                "model_version", "run_id", "review_status"):
        assert col in long_cols and col in wide_cols
    assert len(wide_rows) == 3  # the n/a answer is low-content: kept in passages, never coded
    assert all(r[c] in (0, 1) for r in wide_rows for c in cb.ids)
    assert {r["code"] for r in long_rows} <= set(cb.ids)
    assert len(long_rows) == sum(sum(r[c] for c in cb.ids) for r in wide_rows)
    for r in long_rows:
        if r["code"] == "environment_resources":
            assert any(x["passage_id"] == r["passage_id"] and x["code"] == "wellbeing" for x in long_rows)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "jsonl", "parquet"])
def test_every_format_writes_and_reads_back(project, fmt):
    cb = load_codebook()
    out = project / f"coded.{fmt}"
    with Store(project / "p") as store:
        n = write_coded(store, cb, out, fmt, "wide")
    if fmt == "csv":
        rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    elif fmt == "jsonl":
        rows = [json.loads(line) for line in out.read_text().splitlines()]
    elif fmt == "xlsx":
        from openpyxl import load_workbook

        ws = load_workbook(out, read_only=True)["coded excerpts"]
        values = list(ws.iter_rows(values_only=True))
        rows = [dict(zip(values[0], v, strict=True)) for v in values[1:]]
    else:
        import pyarrow.parquet as pq

        rows = pq.read_table(out).to_pylist()
    assert len(rows) == n == 3 and all(r["passage_id"] for r in rows)


def test_spreadsheet_cells_cannot_run_formulas(project):
    cb = load_codebook()
    with Store(project / "p") as store:
        write_coded(store, cb, project / "f.csv", "csv", "wide")
        write_coded(store, cb, project / "f.xlsx", "xlsx", "wide")
    cells = [c for row in csv.reader((project / "f.csv").read_text(encoding="utf-8").splitlines()) for c in row]
    from openpyxl import load_workbook

    cells += [str(c) for row in load_workbook(project / "f.xlsx")["coded excerpts"].iter_rows(values_only=True)
              for c in row if c is not None]
    risky = [c for c in cells if c[:1] in ("=", "+", "-", "@")]
    assert risky == []
    assert any(c.startswith("'=SUM(A1:A9)") for c in cells) and any(c.startswith("'@OT") for c in cells)


def test_redacted_names_never_reach_any_export_format(project):
    cb = load_codebook()
    with Store(project / "p") as store:
        for fmt in ("csv", "xlsx", "jsonl", "parquet"):
            for shape in ("long", "wide"):
                write_coded(store, cb, project / f"r_{shape}.{fmt}", fmt, shape)
    import zipfile

    for path in project.glob("r_*"):
        data = path.read_bytes()
        if path.suffix == ".xlsx":
            data = b"".join(zipfile.ZipFile(path).read(n) for n in zipfile.ZipFile(path).namelist())
        for secret in (b"Claire", b"Hartley", b"Okafor"):
            assert secret not in data, (path.name, secret)


def test_atomic_write_leaves_no_half_file(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old complete file")
    with pytest.raises(RuntimeError), atomic_write(target) as fh:
        fh.write("half a new fi")
        raise RuntimeError("crash mid-write")
    assert target.read_text() == "old complete file"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_export_cli_and_its_errors(project, tmp_path):
    runner = CliRunner()
    ok = runner.invoke(app, ["export", "-p", str(project / "p"), "-f", "csv", "-o", str(tmp_path / "x.csv")])
    assert ok.exit_code == 0 and "long rows" in ok.output
    bad = runner.invoke(app, ["export", "-p", str(project / "p"), "-f", "docx", "-o", str(tmp_path / "x.docx")])
    assert bad.exit_code == 2 and "--format must be one of" in bad.stderr
    missing = runner.invoke(app, ["export", "-p", str(tmp_path / "nope"), "-f", "csv", "-o", str(tmp_path / "y.csv")])
    assert missing.exit_code == 1 and "no project here" in missing.stderr


def test_formula_guard_leaves_dashes_and_negative_numbers(project):
    from ottext.export.files import safe_cell

    assert [safe_cell(v) for v in ("-", "-3", "-2.5", "- not much")] == ["-", "-3", "-2.5", "'- not much"]
    assert [safe_cell(v) for v in ("=SUM(A1)", "+44 20 7946", "-1+2", "@x", "\tx", "\rx")] == [
        "'=SUM(A1)", "'+44 20 7946", "'-1+2", "'@x", "'\tx", "'\rx"]


def test_xlsx_frozen_header_and_autofilter(project):
    from openpyxl import load_workbook

    with Store(project / "p") as store:
        write_coded(store, load_codebook(), project / "frozen.xlsx", "xlsx", "wide")
    book = load_workbook(project / "frozen.xlsx")
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, sheet.max_column).column_letter}{sheet.max_row}"
