"""Word documents (.docx): body paragraphs and tables in order; headings become Markdown headings.

The zip is checked before parsing, so a truncated file or a zip bomb gets a clear error. Nothing
in the document (macros, external links, embedded objects) is executed or fetched. The same checks
(:func:`check_zip`, :func:`check_sheets`, :func:`read_member`) guard every reader of .xlsx and
.qdpx files: a sheet that declares 16,384 columns or a part that inflates a thousandfold is refused
in one line before openpyxl or lxml parses it.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

from ottext.errors import Errors, IngestError, OttextError
from ottext.ingest._base import Document, ReadResult, short_id

MAX_UNZIPPED_MB = 200  # the whole archive, as its zip directory declares it
MAX_MEMBER_MB = 150  # one part of it
MAX_RATIO = 100  # real Office and REFI-QDA parts compress 5 to 20 to 1; a bomb 300 to 1000
RATIO_FROM_MB = 1  # a part smaller than this may compress as well as it likes
MAX_MEMBERS = 10_000
# a survey sheet: openpyxl fills every row to the sheet's width, so the declared range is what costs memory
MAX_SHEET_COLUMNS = 2_000
MAX_SHEET_ROWS = 1_048_576  # Excel's own limit
MAX_SHEET_CELLS = 30_000_000
MAX_QDE_MB = 100  # the project.qde of a .qdpx (codes, cases, selections; the sources are beside it)
_MB = 1024 * 1024
_CHUNK = 1 << 20


def check_zip(path: Path, data: bytes | None = None, bad: str = Errors.E006, sheets: bool = False,
              error: type[OttextError] = IngestError, **limits: int | None) -> zipfile.ZipFile:
    """Open an Office zip (``data``, or the file at ``path``), refusing truncated archives and zip bombs.

    The zip directory is checked first (parts, their declared sizes and compression ratios, the
    total), then every part is inflated in bounded pieces to check it holds exactly what the
    directory declares (a part that holds more is a bomb with a lying header). ``sheets``: also
    check every worksheet's shape (see :func:`check_sheets`, which takes ``limits``) before
    openpyxl parses anything."""
    source = io.BytesIO(data) if data is not None else path
    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        raise error(bad, file=path, detail="damaged or truncated zip archive") from None
    try:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise error(bad, file=path, detail=f"{len(infos):,} parts, over the limit of {MAX_MEMBERS:,}")
        check_members(path, infos, bad, error)
        total = sum(info.file_size for info in infos)
        if total > MAX_UNZIPPED_MB * _MB:
            raise error(Errors.E016, file=path, size_mb=total / _MB)
        for info in infos:
            problem = _inflate_check(zf.fp, info)
            if problem:
                raise error(bad, file=path, detail=problem)
        if sheets:
            check_sheets(path, zf, error=error, **limits)
    except BaseException:
        zf.close()
        raise
    return zf


def check_members(path: Path, infos: list[zipfile.ZipInfo], bad: str, error: type[OttextError] = IngestError,
                  max_member_mb: float = MAX_MEMBER_MB) -> None:
    """Refuse, from the zip directory alone, a part that is encrypted, compressed other than by
    deflate, declared over ``max_member_mb`` or compressed over ``MAX_RATIO`` to 1."""
    for info in infos:
        if info.flag_bits & 0x1:
            raise error(bad, file=path, detail=f"encrypted part {info.filename}")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise error(bad, file=path, detail=f"part {info.filename} uses compression method {info.compress_type}")
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FROM_MB * _MB and ratio > MAX_RATIO:
            raise error(Errors.E802, file=path, name=info.filename, ratio=ratio)
        if info.file_size > max_member_mb * _MB:
            raise error(Errors.E801, file=path, name=info.filename, size_mb=info.file_size / _MB,
                        limit_mb=max_member_mb)


def _inflate_check(fp, info: zipfile.ZipInfo) -> str | None:
    """Inflate one part from its raw bytes, a piece at a time, stopping as soon as it passes its
    declared size; ``None`` when it holds exactly that and its CRC matches, else what is wrong.

    (Python's zipfile silently cuts a part at its declared size, and ``ZipFile.read`` inflates the
    whole compressed stream in one call first, so a lying header must be caught here.)"""
    corrupt = f"corrupt member {info.filename}"
    fp.seek(info.header_offset)
    head = fp.read(30)
    if len(head) < 30 or head[:4] != b"PK\x03\x04":
        return corrupt
    name_len, extra_len = struct.unpack("<HH", head[26:30])
    fp.seek(info.header_offset + 30 + name_len + extra_len)
    left, size, crc = info.compress_size, 0, 0
    inflate = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    try:
        while left > 0 and not (inflate and inflate.eof):
            raw = fp.read(min(_CHUNK, left))
            if not raw:
                return corrupt
            left -= len(raw)
            while raw or inflate:
                piece = inflate.decompress(raw, _CHUNK) if inflate else raw
                size += len(piece)
                if size > info.file_size:
                    return f"{info.filename} holds more than its zip header declares, which looks like a zip bomb"
                crc = zlib.crc32(piece, crc)
                raw = inflate.unconsumed_tail if inflate else b""
                if not raw and (not inflate or len(piece) < _CHUNK or inflate.eof):
                    break
    except zlib.error:
        return corrupt
    if size != info.file_size or crc != info.CRC:
        return corrupt
    return None


def read_member(path: Path, zf: zipfile.ZipFile, name: str, limit_mb: float, bad: str,
                error: type[OttextError] = IngestError) -> bytes:
    """One part of a zip, after checking its directory entry, read a piece at a time and never
    more than ``limit_mb`` (whatever its header says)."""
    info = zf.getinfo(name)
    check_members(path, [info], bad, error, max_member_mb=limit_mb)
    problem = _inflate_check(zf.fp, info)
    if problem:
        raise error(bad, file=path, detail=problem)
    out = bytearray()
    with zf.open(info) as fh:
        while piece := fh.read(_CHUNK):
            out += piece
            if len(out) > limit_mb * _MB:
                raise error(Errors.E801, file=path, name=name, size_mb=len(out) / _MB, limit_mb=limit_mb)
    return bytes(out)


def check_sheets(path: Path, zf: zipfile.ZipFile, max_columns: int | None = MAX_SHEET_COLUMNS,
                 max_rows: int | None = MAX_SHEET_ROWS, max_cells: int | None = MAX_SHEET_CELLS,
                 error: type[OttextError] = IngestError) -> None:
    """Refuse a workbook whose sheets are wider than ``max_columns``, longer than ``max_rows`` or
    would fill more than ``max_cells`` when openpyxl reads them (it pads every row to the declared
    range), by streaming each sheet's XML once in bounded memory. A sheet whose XML is broken is
    left for openpyxl to refuse in its own way."""
    for title, member in _sheet_parts(zf):
        _scan_sheet(path, zf, member, title, max_columns, max_rows, max_cells, error)


def _sheet_parts(zf: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(title, part) of each worksheet, found the way openpyxl finds them."""
    from openpyxl.reader.excel import ExcelReader

    try:
        reader = ExcelReader(zf.fp, read_only=True)
        reader.read_manifest()
        reader.read_workbook()
        names = set(zf.namelist())
        return [(sheet.name, rel.target) for sheet, rel in reader.parser.find_sheets()
                if rel.target in names and "chartsheet" not in (rel.Type or "")]
    except Exception:  # openpyxl refuses the same workbook later, with its own error
        return []


def _scan_sheet(path: Path, zf: zipfile.ZipFile, member: str, title: str, max_columns: int | None,
                max_rows: int | None, max_cells: int | None, error: type[OttextError]) -> None:
    """Stream one sheet's XML through expat (the parser openpyxl uses), keeping only counters, and
    mirror how openpyxl numbers rows and cells: ``r`` where given, else one past the last."""
    from xml.parsers import expat

    from openpyxl.utils.cell import column_index_from_string, range_boundaries
    from openpyxl.xml.constants import SHEET_MAIN_NS

    row_tag, dim_tag = f"{SHEET_MAIN_NS}}}row", f"{SHEET_MAIN_NS}}}dimension"
    max_columns, max_rows, max_cells = max_columns or 1 << 62, max_rows or 1 << 62, max_cells or 1 << 62
    depth = row_depth = row = col = n = width = filled = cols = 0
    digits = "0123456789"

    def start(name: str, attrs: dict) -> None:
        nonlocal depth, row_depth, row, col, n, width, cols
        depth += 1
        if depth == row_depth + 1 and row_depth:  # openpyxl reads every child of a row as a cell
            ref = attrs.get("r")
            col = column_index_from_string(ref.rstrip(digits)) if ref else col + 1
            n += 1
            if col > width:
                width = col
            if col > max_columns or n > max_columns:
                raise error(Errors.E803, file=path, sheet=title, count=max(col, n), where=f"row {row:,}",
                            limit=max_columns)
        elif name == row_tag:
            ref = attrs.get("r")
            row = int(float(ref)) if ref else row + 1
            if row > max_rows:
                raise error(Errors.E804, file=path, sheet=title, count=row, where=f"row {row:,}", limit=max_rows)
            row_depth, col, n, width = depth, 0, 0, 0
        elif name == dim_tag and not cols and attrs.get("ref"):
            ref = attrs["ref"]
            _, _, cols, rows = range_boundaries(ref)
            cols = cols or 0
            where = f"declared range {ref}"
            if cols > max_columns:
                raise error(Errors.E803, file=path, sheet=title, count=cols, where=where, limit=max_columns)
            if rows and rows > max_rows:
                raise error(Errors.E804, file=path, sheet=title, count=rows, where=where, limit=max_rows)
            if cols and rows and cols * rows > max_cells:
                raise error(Errors.E805, file=path, sheet=title, count=cols * rows, where=where, limit=max_cells)

    def end(name: str) -> None:
        nonlocal depth, row_depth, filled
        if depth == row_depth:  # openpyxl pads the row to the declared width, else to its last cell
            filled += cols or width
            if filled > max_cells:
                raise error(Errors.E805, file=path, sheet=title, count=filled, where=f"to row {row:,}",
                            limit=max_cells)
            row_depth = 0
        depth -= 1

    def doctype(*_: object) -> None:  # no Office sheet has one; openpyxl refuses entity tricks itself
        raise ValueError("DOCTYPE")

    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.StartDoctypeDeclHandler = doctype
    with zf.open(member) as fh:
        try:
            while chunk := fh.read(1 << 16):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except OttextError:
            raise
        except Exception:  # broken XML or a bad reference: openpyxl refuses it when it reads the sheet
            return


def read_docx(path: Path, data: bytes, source: str) -> ReadResult:
    import docx  # python-docx
    from docx.oxml.ns import qn

    zf = check_zip(path, data)
    if "word/document.xml" not in zf.namelist():
        raise IngestError(Errors.E006, file=path, detail="no word/document.xml inside")
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many types for broken parts
        raise IngestError(Errors.E006, file=path, detail=type(exc).__name__) from None
    lines: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            para = docx.text.paragraph.Paragraph(child, document)
            lines.append(_paragraph_line(para))
        elif child.tag == qn("w:tbl"):
            table = docx.table.Table(child, document)
            for row in table.rows:
                cells = []
                for cell in row.cells:
                    text = " ".join(cell.text.split())
                    if text and (not cells or cells[-1] != text):
                        cells.append(text)
                if cells:
                    lines.append(" | ".join(cells))
    text = "\n\n".join(line for line in lines if line.strip())
    if not text.strip():
        raise IngestError(Errors.E014, file=path)
    return ReadResult([Document(id=short_id(source), source=source, kind="docx", text=text)])


def _paragraph_line(para) -> str:
    text = para.text.strip()
    if not text:
        return ""
    style = (para.style.name or "").lower() if para.style is not None else ""
    if style.startswith("heading") or style == "title":
        level = "".join(ch for ch in style if ch.isdigit()) or "1"
        return "#" * min(int(level), 6) + " " + text
    if style.startswith("list"):
        return "- " + text
    return text
