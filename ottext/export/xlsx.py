"""A small, fast .xlsx writer (stdlib only): inline strings, numbers and booleans, no styles. Rows serialised
once by ``rows_xml`` can be kept (as strings or UTF-8 files) and re-used when rows are appended later."""

from __future__ import annotations

import contextlib
import math
import numbers
import os
import re
import shutil
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ottext.export.files import atomic_write

MAX_CELL_CHARS = 32767  # Excel's limit, counted in UTF-16 units
_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")  # not allowed in XML 1.0
_CONTROL = bytes([*range(9), 11, 12, *range(14, 32)])  # the illegal ASCII characters
_ENTITIES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;"))  # & first; \r survives parsing
_INLINE = ' t="inlineStr"><is><t xml:space="preserve">'
_BLOCK = 1 << 20
_LETTERS: tuple[str, ...] = ()

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_STYLES = (
    f'{_HEAD}<styleSheet xmlns="{_MAIN}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)


@dataclass
class Sheet:
    """A worksheet: its name and its <row> elements, as XML strings or paths of UTF-8 files holding them."""

    name: str
    parts: list[str | Path]
    table: tuple[int, int] | None = None  # (columns, rows with the header): freeze row 1, autofilter it


def _table_xml(table: tuple[int, int] | None) -> tuple[str, str]:
    """The frozen-header <sheetViews> (before <sheetData>) and <autoFilter> (after it) of a table sheet."""
    if table is None or table[0] < 1:
        return "", ""
    views = ('<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft"'
             ' state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>')
    return views, f'<autoFilter ref="A1:{column_letter(table[0])}{max(table[1], 1)}"/>'


def column_letter(index: int) -> str:
    """The letters of the 1-based column ``index``: 1 -> "A", 27 -> "AA", 703 -> "AAA"."""
    if index < 1:
        raise ValueError(f"column index must be >= 1, not {index}")
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _letters(count: int) -> tuple[str, ...]:
    """Column letters for at least ``count`` columns (cached; replaced whole, so safe across threads)."""
    global _LETTERS
    _LETTERS = tuple(column_letter(i) for i in range(1, max(count, 2 * len(_LETTERS), 64) + 1))
    return _LETTERS


def _text(value: str) -> str:
    """Text node content: illegal characters dropped, cut to Excel's limit, escaped."""
    if not value.isascii():
        value = _ILLEGAL.sub("", value)
    elif len(kept := (raw := value.encode()).translate(None, _CONTROL)) != len(raw):  # bytes: much faster
        value = kept.decode()
    if len(value) > MAX_CELL_CHARS // 2 and len(units := value.encode("utf-16-le")) > 2 * MAX_CELL_CHARS:
        value = units[: 2 * MAX_CELL_CHARS].decode("utf-16-le", "ignore")  # never half a surrogate pair
    # _xHHHH_ is left as it is, as openpyxl leaves it (Excel reads it as that character; openpyxl does not)
    for char, entity in _ENTITIES:
        if char in value:  # a test is cheaper than a replace that finds nothing
            value = value.replace(char, entity)
    return value


def _number(value: numbers.Real) -> str | None:
    """The <v> text of a number (shortest that reads back the same), or None for NaN and infinities."""
    if isinstance(value, numbers.Integral):
        return str(int(value))
    number = float(value)
    if not math.isfinite(number):
        return None
    if isinstance(value, float):
        return repr(number)
    text = str(value)  # e.g. numpy.float32(0.1) -> "0.1", not float's "0.10000000149011612"
    with contextlib.suppress(TypeError, ValueError, ArithmeticError):
        if float(text) == number or type(value)(text) == value:  # float(): valid as an xsd:double at all
            return text
    return repr(number)


def _cell(ref: str, value: object) -> str:
    """One <c> element for a value that is not None nor an exact str, int or float (rows_xml does those)."""
    if isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", "") == "b":
        return f'<c r="{ref}" t="b"><v>{int(bool(value))}</v></c>'
    if isinstance(value, numbers.Real):
        text = _number(value)
        return "" if text is None else f'<c r="{ref}"><v>{text}</v></c>'
    text = _text(str(value))
    return f'<c r="{ref}"{_INLINE}{text}</t></is></c>' if text else ""


def rows_xml(rows: Iterable[Sequence[object]], first_row: int) -> str:
    """SpreadsheetML <row> elements for ``rows``, numbered from ``first_row`` (1-based)."""
    if first_row < 1:
        raise ValueError(f"rows are numbered from 1, not {first_row}")
    out: list[str] = []
    add, isfinite, text = out.append, math.isfinite, _text
    for r, row in enumerate(rows, first_row):
        letters = _LETTERS if len(row) <= len(_LETTERS) else _letters(len(row))
        add(f'<row r="{r}">')
        for letter, value in zip(letters, row, strict=False):
            kind = type(value)  # exact types first: the common cases, quickly
            if kind is str:
                if value and (value := text(value)):  # "" is an empty cell, as None is
                    add(f'<c r="{letter}{r}"{_INLINE}{value}</t></is></c>')
            elif kind is int:
                add(f'<c r="{letter}{r}"><v>{value}</v></c>')
            elif kind is float:
                if isfinite(value):
                    add(f'<c r="{letter}{r}"><v>{value!r}</v></c>')
            elif value is not None:
                add(_cell(f"{letter}{r}", value))
        add("</row>")
    return "".join(out)


def _sheet_names(names: list[str]) -> list[str]:
    """Names Excel accepts: no []:*?/\\ or control characters, not quoted, at most 31 characters, unique."""
    taken: set[str] = set()
    result = []
    for n, name in enumerate(names, 1):
        clean = re.sub(r"[\[\]:*?/\\\x00-\x1f]", "_", _ILLEGAL.sub("", name)).strip("'")[:31] or f"Sheet{n}"
        base, k = clean, 1
        while clean.lower() in taken or clean.lower() == "history":  # Excel reserves "History"
            k += 1
            clean = f"{base[: 31 - len(str(k)) - 3]} ({k})"
        taken.add(clean.lower())
        result.append(clean)
    return result


def _package(names: list[str]) -> dict[str, str]:
    """The fixed parts of the package, by name."""
    n = range(1, len(names) + 1)
    sheets = "".join(
        f'<sheet name="{_text(name).replace(chr(34), "&quot;")}" sheetId="{i}" r:id="rId{i}"/>'
        for i, name in enumerate(names, 1)
    )
    return {
        "[Content_Types].xml": f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/>'
        + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_CT}.worksheet+xml"/>' for i in n)
        + "</Types>",
        "_rels/.rels": f'{_HEAD}<Relationships xmlns="{_PKG_REL}">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
        f"<bookViews><workbookView/></bookViews><sheets>{sheets}</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": f'{_HEAD}<Relationships xmlns="{_PKG_REL}">'
        + "".join(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>' for i in n)
        + f'<Relationship Id="rId{len(names) + 1}" Type="{_REL}/styles" Target="styles.xml"/></Relationships>',
        "xl/styles.xml": _STYLES,
    }


def _entry(name: str) -> zipfile.ZipInfo:
    """A zip member with fixed metadata, deflated fast."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # fixed: the same data gives the same bytes
    info.compress_type = zipfile.ZIP_DEFLATED
    info._compresslevel = 1  # speed over size; public as compress_level only from Python 3.13
    info.external_attr = 0o644 << 16
    return info


def write_xlsx(path: Path | str, sheets: list[Sheet]) -> None:
    """Write a valid .xlsx (atomically) with these sheets."""
    if not sheets or any(isinstance(p, str) and p[:1] not in ("", "<") for s in sheets for p in s.parts):
        raise ValueError("a workbook needs sheets, whose parts are XML strings or Paths of files")
    with atomic_write(path, mode="wb") as fh, zipfile.ZipFile(fh, "w") as zf:
        for name, text in _package(_sheet_names([s.name for s in sheets])).items():
            zf.writestr(_entry(name), text)
        for i, sheet in enumerate(sheets, 1):
            size = sum(4 * len(p) if isinstance(p, str) else os.path.getsize(p) for p in sheet.parts)  # at most
            big = size > 0.9 * zipfile.ZIP64_LIMIT  # a member past 2 GiB needs zip64
            with zf.open(_entry(f"xl/worksheets/sheet{i}.xml"), "w", force_zip64=big) as out:
                views, autofilter = _table_xml(sheet.table)
                out.write(f'{_HEAD}<worksheet xmlns="{_MAIN}">{views}<sheetData>'.encode())
                for part in sheet.parts:
                    if isinstance(part, str):
                        for start in range(0, len(part), _BLOCK):
                            out.write(part[start : start + _BLOCK].encode("utf-8"))
                    else:
                        with open(part, "rb") as src:
                            shutil.copyfileobj(src, out, _BLOCK)
                out.write(f"</sheetData>{autofilter}</worksheet>".encode())
