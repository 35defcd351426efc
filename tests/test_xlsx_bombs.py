"""Hostile .xlsx and .qdpx files are refused up front, in one line naming the file, with bounded memory.

Every file is built here by code: a workbook that declares 16,384 columns (17 KB that openpyxl
would pad into a MemoryError), sheets whose XML inflates to hundreds of MB, parts whose zip header
lies about their size, and a .qdpx whose project.qde is a zip bomb.
"""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ottext.cli import app
from ottext.errors import CodebookError, Errors, IngestError, OttextError
from ottext.ingest import InputFile, read_file
from ottext.ingest.office import check_zip

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
TYPES = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
         '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
         '<Default Extension="xml" ContentType="application/xml"/>'
         '<Override PartName="/xl/workbook.xml" '
         'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
         '<Override PartName="/xl/worksheets/sheet1.xml" '
         'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
PARTS = {
    "[Content_Types].xml": TYPES,
    "_rels/.rels": f'<Relationships xmlns="{PKG_REL}"><Relationship Id="rId1" Type="{REL}/officeDocument" '
                   'Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets><sheet name="review" sheetId="1" '
                       'r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{PKG_REL}"><Relationship Id="rId1" '
                                  f'Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
}
SHEET = "xl/worksheets/sheet1.xml"
MIB = 1 << 20


def cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def sheet_xml(rows: str, dimension: str | None = None) -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<?xml version="1.0"?><worksheet xmlns="{MAIN}">{dim}<sheetData>{rows}</sheetData></worksheet>'


def write_xlsx(path: Path, sheet: str | None = None) -> Path:
    """A workbook zipped by hand: the parts above plus ``sheet`` (written by the caller when None)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in PARTS.items():
            zf.writestr(name, text)
        if sheet is not None:
            zf.writestr(SHEET, sheet)
    return path


def wide_xlsx(path: Path) -> Path:
    """A 1 KB file: a cell at XFD1 and a declared range of 16,384 columns by 100,000 rows."""
    rows = '<row r="1">' + cell("A1", "passage_id") + cell("B1", "decide:cpd") + cell("XFD1", "x") + "</row>"
    return write_xlsx(path, sheet_xml(rows, "A1:XFD100000"))


def huge_sheet_xlsx(path: Path, mb: int) -> Path:
    """A sheet of ``mb`` MiB of repeated row XML, streamed into the zip a MiB at a time."""
    row = f"<row>{cell('A1', 'passage_id')}</row>".replace(' r="A1"', "")
    chunk = (row * (MIB // len(row))).encode()
    write_xlsx(path)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as zf, \
            zf.open(SHEET, "w", force_zip64=True) as fh:
        fh.write(f'<?xml version="1.0"?><worksheet xmlns="{MAIN}"><sheetData>'.encode())
        for _ in range(mb):
            fh.write(chunk)
        fh.write(b"</sheetData></worksheet>")
    return path


def spaces(mb: int) -> tuple[bytes, int]:
    """A raw deflate stream of ``mb`` MiB of spaces (one compressed MiB repeated, so it is made in
    ms) and the CRC of what it inflates to."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = c.compress(b" " * MIB) + c.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(mb):
        crc = zlib.crc32(b" " * MIB, crc)
    return piece * mb + zlib.compressobj(9, zlib.DEFLATED, -15).flush(), crc


def raw_zip(path: Path, parts: dict[str, str], extra: tuple[str, bytes, int, int]) -> Path:
    """A zip written by hand: ``parts`` honestly deflated, then ``extra`` as (name, raw deflate
    stream, CRC, declared size), so its header can say whatever the test needs."""
    members = []
    for name, text in parts.items():
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        members.append((name, c.compress(text.encode()) + c.flush(), zlib.crc32(text.encode()), len(text.encode())))
    out, central = bytearray(), bytearray()
    for name, body, crc, size in [*members, extra]:
        fn = name.encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(body), size, len(fn), 0)
        out += fn + body
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(body), size,
                               len(fn), 0, 0, 0, 0, 0, offset) + fn
    n = len(members) + 1
    path.write_bytes(bytes(out + central + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, n, n, len(central), len(out), 0)))
    return path


def bomb_zip(path: Path, parts: dict[str, str], name: str, mb: int) -> Path:
    """An honest bomb: ``name`` declares and holds ``mb`` MiB of spaces, from about ``mb`` KB."""
    body, crc = spaces(mb)
    return raw_zip(path, parts, (name, body, crc, mb * MIB))


def lying_zip(path: Path, parts: dict[str, str], name: str, real_mb: int, declared: int) -> Path:
    """``name`` inflates to ``real_mb`` MiB but its headers declare ``declared`` bytes, with the CRC
    of those first bytes, so a reader that stops at the declared size finds nothing wrong."""
    body, _ = spaces(real_mb)
    return raw_zip(path, parts, (name, body, zlib.crc32(b" " * declared), declared))


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bombs")
    (folder / "s.csv").write_text("id,What gets in the way?\nR1,No admin support and the laptop crashes daily\n"
                                  "R2,My supervision keeps getting cancelled because of duty\n")
    res = CliRunner().invoke(app, ["run", str(folder / "s.csv"), "-p", str(folder / "p"), "--fast",
                                   "--no-topics", "-q"])
    assert res.exit_code == 0, res.output
    return folder / "p"


def refused_in_one_line(args: list[str], name: str) -> str:
    """Run the CLI under tracemalloc; it must exit non-zero with one line naming ``name``."""
    tracemalloc.start()
    try:
        res = CliRunner().invoke(app, args)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    lines = res.output.strip().splitlines()
    assert res.exit_code not in (0, None), res.output
    assert not isinstance(res.exception, MemoryError) and "Traceback" not in res.output
    assert len(lines) == 1 and name in lines[0] and lines[0].startswith("ottext: "), res.output
    assert peak < 200 * MIB, f"peak {peak / MIB:.0f} MiB"
    return lines[0]


def review_import(project: Path, workbook: Path) -> str:
    return refused_in_one_line(["review", "import", str(workbook), "--coder", "Eve", "-p", str(project)],
                               workbook.name)


# the review workbook -----------------------------------------------------------------------------
def test_hand_written_workbook_is_readable(project, tmp_path):
    """The control: the same hand-made parts with a sane sheet import cleanly, so each refusal below
    is for the hostile part alone."""
    rows = '<row r="1">' + cell("A1", "passage_id") + cell("B1", "decide:cpd") + "</row>"
    rows += '<row r="2">' + cell("A2", "nope") + cell("B2", "1") + "</row>"
    path = write_xlsx(tmp_path / "fine.xlsx", sheet_xml(rows, "A1:B2"))
    res = CliRunner().invoke(app, ["review", "import", str(path), "--coder", "Eve", "-p", str(project)])
    assert res.exit_code == 0, res.output
    assert "Stored 0 decisions" in res.output and "passage nope is not in the project" in res.output


def test_review_import_refuses_16384_declared_columns(project, tmp_path):
    path = wide_xlsx(tmp_path / "wide.xlsx")
    assert path.stat().st_size < 20_000
    line = review_import(project, path)
    assert "has 16,384 columns (declared range A1:XFD100000), over the limit of 1,000; refused" in line


def test_review_import_refuses_a_row_wider_than_the_limit(project, tmp_path):
    """No dimension element: the width is found while streaming, at the first row past the limit."""
    rows = '<row r="1">' + cell("A1", "passage_id") + "</row>"
    rows += "".join(f'<row r="{r}">{cell(f"A{r}", "p")}{cell(f"XFD{r}", "x")}</row>' for r in range(2, 2000))
    line = review_import(project, write_xlsx(tmp_path / "ragged.xlsx", sheet_xml(rows)))
    assert "has 16,384 columns (row 2), over the limit of 1,000" in line


def test_review_import_refuses_too_many_rows(project, tmp_path):
    rows = '<row r="1">' + cell("A1", "passage_id") + '</row><row r="5000000">' + cell("A5000000", "p") + "</row>"
    line = review_import(project, write_xlsx(tmp_path / "long.xlsx", sheet_xml(rows)))
    assert "has 5,000,000 rows (row 5,000,000), over the limit of 1,048,576" in line


def test_review_import_refuses_a_sheet_that_inflates_to_210_mb(project, tmp_path):
    path = huge_sheet_xlsx(tmp_path / "huge.xlsx", 210)
    assert path.stat().st_size < 5 * MIB
    line = review_import(project, path)
    assert "refused" in line and ("MB" in line or "zip bomb" in line)


def test_review_import_refuses_a_highly_compressed_sheet(project, tmp_path):
    """Under every size limit, but compressed a thousand to one."""
    line = review_import(project, bomb_zip(tmp_path / "dense.xlsx", PARTS, SHEET, 60))
    assert f"{SHEET} inside is compressed" in line and "looks like a zip bomb; refused" in line


def test_review_import_refuses_a_part_that_lies_about_its_size(project, tmp_path):
    """The directory says 1 KB (ratio and size look harmless); the stream holds 300 MiB."""
    path = lying_zip(tmp_path / "liar.xlsx", PARTS, SHEET, real_mb=300, declared=1024)
    line = review_import(project, path)
    assert f"{SHEET} holds more than its zip header declares, which looks like a zip bomb" in line


def test_review_import_lists_at_most_50_warnings(project, tmp_path):
    rows = '<row r="1">' + cell("A1", "passage_id") + "</row>"
    rows += "".join(f'<row r="{r}">{cell(f"A{r}", f"ghost{r}")}</row>' for r in range(2, 5002))
    path = write_xlsx(tmp_path / "ghosts.xlsx", sheet_xml(rows))
    res = CliRunner().invoke(app, ["review", "import", str(path), "--coder", "Eve", "-p", str(project)])
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    skipped = [line for line in lines if line.startswith("ottext: skipped: ")]
    assert len(lines) == 52 and len(skipped) == 51 and "ghost51 is not in the project" in skipped[49]
    assert skipped[-1].endswith("ghosts.xlsx: 4,950 more problems like these, not listed")


# the survey reader ---------------------------------------------------------------------------------
def test_survey_check_refuses_16384_columns(tmp_path):
    """What ``read_xlsx`` runs with ``check_zip(..., sheets=True)``: an IngestError, not a MemoryError."""
    path = wide_xlsx(tmp_path / "wide_survey.xlsx")
    tracemalloc.start()
    try:
        with pytest.raises(IngestError) as exc:
            check_zip(path, path.read_bytes(), bad=Errors.E012, sheets=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert exc.value.code == "E803" and "\n" not in str(exc.value)
    assert str(exc.value).startswith(f"{path}: sheet 'review' has 16,384 columns (declared range A1:XFD100000)")
    assert "over the limit of 2,000" in str(exc.value)
    assert peak < 200 * MIB


def test_survey_reader_refuses_16384_columns(tmp_path):
    """``read_xlsx`` checks every sheet's shape before openpyxl parses it: an IngestError naming
    the file, not a MemoryError."""
    path = wide_xlsx(tmp_path / "wide_survey.xlsx")
    with pytest.raises(IngestError, match=r"wide_survey\.xlsx: sheet 'review' has 16,384 columns") as exc:
        read_file(InputFile(path, path.name), path.read_bytes())
    assert exc.value.code == "E803"


def test_survey_check_bounds_the_cells_openpyxl_would_fill(tmp_path):
    """2,000 columns by 100,000 rows is under both limits, but 200 million padded cells are not."""
    rows = '<row r="1">' + cell("A1", "id") + cell("BXX1", "x") + "</row>"
    path = write_xlsx(tmp_path / "padded.xlsx", sheet_xml(rows, "A1:BXX100000"))
    with pytest.raises(IngestError, match=r"would fill 200,000,000 cells \(declared range A1:BXX100000\)"):
        check_zip(path, path.read_bytes(), bad=Errors.E012, sheets=True)


def test_survey_check_passes_a_normal_workbook(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["id", "What gets in the way?"])
    wb.active.append(["R1", "Too many cases and no weighting tool at all"])
    buf = io.BytesIO()
    wb.save(buf)
    path = tmp_path / "ok.xlsx"
    path.write_bytes(buf.getvalue())
    check_zip(path, buf.getvalue(), bad=Errors.E012, sheets=True).close()


@pytest.mark.parametrize("build", ["huge", "dense", "liar"])
def test_survey_reader_refuses_bombs(tmp_path, build):
    """Refused by ``check_zip`` in ``read_xlsx`` today, before openpyxl is called."""
    path = tmp_path / f"{build}.xlsx"
    if build == "huge":
        huge_sheet_xlsx(path, 210)
    elif build == "dense":
        bomb_zip(path, PARTS, SHEET, 60)
    else:
        lying_zip(path, PARTS, SHEET, real_mb=300, declared=1024)
    tracemalloc.start()
    try:
        with pytest.raises(IngestError) as exc:
            read_file(InputFile(path, path.name), path.read_bytes())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(exc.value).startswith(f"{path}: ") and "\n" not in str(exc.value)
    assert peak < 200 * MIB + path.stat().st_size


# the .qdpx importer ---------------------------------------------------------------------------------
QDE = {"sources/readme.txt": "a source file that is never read"}


def test_qdpx_bomb_is_refused_from_the_zip_directory(tmp_path):
    path = bomb_zip(tmp_path / "bomb.qdpx", QDE, "project.qde", 400)
    assert path.stat().st_size < MIB
    line = refused_in_one_line(["codebook", "import", str(path), "--out", str(tmp_path / "o.yaml")], path.name)
    assert "project.qde inside" in line and "refused" in line


def test_qdpx_that_lies_about_its_size_is_refused_after_at_most_a_mib_past_it(tmp_path):
    from ottext.export.refi import codebook_from_qdc

    path = lying_zip(tmp_path / "liar.qdpx", QDE, "project.qde", real_mb=400, declared=1024)
    tracemalloc.start()
    try:
        with pytest.raises(CodebookError) as exc:
            codebook_from_qdc(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(exc.value) == (f"{path}: not a readable REFI-QDA file (project.qde holds more than its zip header"
                              " declares, which looks like a zip bomb)")
    assert peak < 50 * MIB


def test_qdpx_project_over_the_size_limit_is_refused(tmp_path, monkeypatch):
    """An honest, poorly compressed project.qde over the limit (lowered to 1 MB here, 100 MB in
    use) is refused from the zip directory, before a byte of it is read."""
    from ottext.export.refi import codebook_from_qdc
    from ottext.ingest import office

    monkeypatch.setattr(office, "MAX_QDE_MB", 1)
    path = tmp_path / "big.qdpx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("project.qde", b"<!-- padding -->" * (MIB // 8))
    with pytest.raises(OttextError, match=r"big\.qdpx: project\.qde inside expands to 2 MB, over the 1 MB limit"):
        codebook_from_qdc(path)
