"""Each input format, each encoding, and what each bad input gets."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import make_blank_pdf, make_docx, make_pdf

from ottext.errors import IngestError
from ottext.ingest import IngestOptions, InputFile, TableOptions, iter_input_files, read_file


def read(path: Path, options: IngestOptions | None = None):
    return read_file(InputFile(path, path.name), path.read_bytes(), options)


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


# formats ---------------------------------------------------------------------------------------
def test_txt_and_md_become_one_document_each(tmp_path):
    txt = read(write(tmp_path, "a.txt", "Supervision is monthly.\n")).documents
    md = read(write(tmp_path, "b.md", "# Notes\n\nCaseloads are high.\n")).documents
    assert [d.kind for d in txt + md] == ["text", "markdown"]
    assert txt[0].text.startswith("Supervision") and md[0].source == "b.md"


@pytest.mark.parametrize("encoding, prefix", [
    ("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("cp1252", b""), ("utf-16", b""), ("utf-16-le", b""),
])
def test_encodings_are_read_correctly(tmp_path, encoding, prefix):
    text = "The OT\u2019s \u201cweighting tool\u201d \u2013 caf\u00e9 budget"
    doc = read(write(tmp_path, "enc.txt", prefix + text.encode(encoding))).documents[0]
    assert doc.text == text


def test_docx_paragraphs_headings_and_lists(tmp_path):
    data = make_docx([("Case study", "Title"), ("What helps?", "Heading 2"),
                      ("My supervisor listens.", None), ("Flexible hours", "List Bullet")])
    doc = read(write(tmp_path, "c.docx", data)).documents[0]
    assert doc.kind == "docx"
    assert doc.text.split("\n\n") == ["# Case study", "## What helps?", "My supervisor listens.", "- Flexible hours"]


def test_pdf_text_layer_is_read(tmp_path):
    pdf = make_pdf(["Waiting lists are eleven months.", "Staff are tired."])
    doc = read(write(tmp_path, "r.pdf", pdf)).documents[0]
    assert "Waiting lists are eleven months." in doc.text and doc.kind == "pdf"


def test_csv_survey_cells_become_response_documents(tmp_path):
    rows = ["id,role,What gets in the way?,Q1 rating",
            "R1,OT,Too many cases and no weighting tool,Agree",
            "R2,Senior OT,,Disagree",
            "R3,OT,Panel delays every adaptation for weeks,Strongly agree"]
    docs = read(write(tmp_path, "s.csv", "\n".join(rows))).documents
    question = "What gets in the way?"
    assert [(d.respondent, d.context) for d in docs] == [("R1", question), ("R3", question)]
    assert docs[0].metadata == {"role": "OT", "Q1 rating": "Agree"}
    assert docs[0].kind == "survey_response"


def test_csv_text_column_can_be_named_and_other_delimiters_sniffed(tmp_path):
    path = write(tmp_path, "s.csv", "id;note;comment\n1;ok;Short\n2;fine;Also short\n")
    opts = IngestOptions(table=TableOptions(text_columns=["comment"]))
    assert [d.text for d in read(path, opts).documents] == ["Short", "Also short"]
    with pytest.raises(IngestError, match="text column 'nope' not found"):
        read(path, IngestOptions(table=TableOptions(text_columns=["nope"])))


def test_demo_survey_detects_its_three_questions():
    demo = Path(__file__).resolve().parents[1] / "corpora" / "demo" / "health_check_survey.csv"
    docs = read(demo).documents
    assert {d.context for d in docs} == {"What helps you do your best work?", "What gets in the way?",
                                        "Anything else about your workload?"}
    assert {"role", "region"} <= set(docs[0].metadata)


def test_xlsx_sheets_are_read(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["respondent_id", "region", "Anything else?"])
    ws.append(["A1", "London", "We lost our admin support last spring"])
    ws.append(["A2", "North West", "Supervision keeps getting cancelled"])
    path = tmp_path / "x.xlsx"
    wb.save(path)
    docs = read(path).documents
    assert [d.respondent for d in docs] == ["A1", "A2"] and docs[1].metadata == {"region": "North West"}


def test_jsonl_lines_with_metadata(tmp_path):
    lines = [json.dumps({"id": "p1", "text": "Good team.", "context": "What helps?", "role": "OT"}),
             json.dumps({"id": "p2", "text": "No budget for training."})]
    docs = read(write(tmp_path, "j.jsonl", "\n".join(lines))).documents
    assert [(d.respondent, d.context, d.metadata) for d in docs] == [
        ("p1", "What helps?", {"role": "OT"}), ("p2", "", {})]


# bad input: what each one gets ------------------------------------------------------------------
def test_empty_file_is_skipped_with_one_line(tmp_path):
    with pytest.raises(IngestError, match=r"empty\.txt: file is empty"):
        read(write(tmp_path, "empty.txt", ""))
    with pytest.raises(IngestError, match="file is empty"):
        read(write(tmp_path, "blank.txt", "   \n\n "))


def test_binary_renamed_txt_is_refused(tmp_path):
    with pytest.raises(IngestError, match=r"photo\.txt: looks like a binary file"):
        read(write(tmp_path, "photo.txt", bytes(range(256)) * 40))


def test_truncated_docx_is_refused(tmp_path):
    data = make_docx([("Hello", None)])
    with pytest.raises(IngestError, match=r"cut\.docx: not a valid \.docx \(damaged or truncated zip"):
        read(write(tmp_path, "cut.docx", data[: len(data) // 2]))


def test_pdf_without_text_layer_suggests_ocr(tmp_path):
    with pytest.raises(IngestError, match=r"scan\.pdf: PDF has no text layer.*OCR"):
        read(write(tmp_path, "scan.pdf", make_blank_pdf()))


def test_encrypted_pdf_is_refused(tmp_path):
    from pypdf import PdfReader, PdfWriter

    plain = write(tmp_path, "plain.pdf", make_pdf(["Secret staffing plan."]))
    writer = PdfWriter()
    writer.append(PdfReader(plain))
    writer.encrypt(user_password="pw", owner_password="owner")
    locked = tmp_path / "locked.pdf"
    with open(locked, "wb") as fh:
        writer.write(fh)
    with pytest.raises(IngestError, match=r"locked\.pdf: PDF is encrypted"):
        read(locked)


def test_csv_ragged_rows_are_read_with_a_warning(tmp_path):
    rows = ["id,What gets in the way?", "1,Not enough staff to cover duty", "2,Too much admin,extra,cells",
            "3"]
    result = read(write(tmp_path, "ragged.csv", "\n".join(rows)))
    assert [d.text for d in result.documents] == ["Not enough staff to cover duty", "Too much admin"]
    assert len(result.warnings) == 1 and "ragged.csv row 3" in result.warnings[0]


def test_xlsx_without_text_column_is_refused(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["id", "score", "band"])
    for i in range(5):
        ws.append([i, 3, "Agree"])
    path = tmp_path / "numbers.xlsx"
    wb.save(path)
    with pytest.raises(IngestError, match=r"numbers\.xlsx: no free-text column found \(columns: id, score, band\)"):
        read(path)


def test_large_text_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.txt"
    with open(path, "wb") as fh:
        fh.write(b"Caseloads are too high. " * (50 * 1024 * 1024 // 24 + 1))
    from ottext.ingest import check_size

    with pytest.raises(IngestError, match=r"huge\.txt: file is 50\.0 MB, over the 10 MB limit"):
        check_size(path, IngestOptions())


def test_jsonl_bad_lines_are_skipped_with_their_line_numbers(tmp_path):
    lines = ['{"id": 1, "text": "Fine line."}', "", "{not json", '{"id": 2}', '["a list"]',
             '{"id": 3, "text": "Another fine line."}']
    result = read(write(tmp_path, "j.jsonl", "\n".join(lines)))
    assert [d.text for d in result.documents] == ["Fine line.", "Another fine line."]
    assert [w.split(":")[0] for w in result.warnings] == [f"{tmp_path / 'j.jsonl'} line {n}" for n in (3, 4, 5)]


def test_unsupported_type_named_directly_is_refused(tmp_path):
    with pytest.raises(IngestError, match=r"notes\.rtf: unsupported file type '\.rtf'"):
        read(write(tmp_path, "notes.rtf", "{\\rtf1 hi}"))


def test_filename_with_spaces_and_non_ascii_letters(tmp_path):
    path = write(tmp_path, "Zoë's notes – Łódź.txt", "Supervision is good.")
    items = [i for i in iter_input_files([tmp_path])]
    assert [i.source for i in items] == ["Zoë's notes – Łódź.txt"]
    assert read(path).documents[0].source == "Zoë's notes – Łódź.txt"


def test_folder_walk_skips_readme_hidden_and_refuses_outside_symlinks(tmp_path):
    inside = tmp_path / "in"
    (inside / "sub").mkdir(parents=True)
    write(inside, "a.txt", "x y z")
    write(inside / "sub", "b.md", "x y z")
    write(inside, "README.md", "about the data")
    write(inside, ".hidden.txt", "secret")
    write(inside, "image.png", "png")
    write(tmp_path, "outside.txt", "not yours")
    os.symlink(tmp_path / "outside.txt", inside / "link.txt")
    found = list(iter_input_files([inside, tmp_path / "missing"]))
    sources = [f.source for f in found if not isinstance(f, IngestError)]
    errors = [str(f) for f in found if isinstance(f, IngestError)]
    assert sources == ["a.txt", "sub/b.md"]
    assert any("link.txt: points outside the input folder" in e for e in errors)
    assert any("missing: no such file or folder" in e for e in errors)


def test_repeated_respondent_ids_give_distinct_documents(tmp_path):
    rows = ["id,What gets in the way?", "R1,No admin support at all", "R1,Too many unallocated cases"]
    docs = read(write(tmp_path, "dup.csv", "\n".join(rows))).documents
    assert [d.respondent for d in docs] == ["R1", "R1"] and len({d.id for d in docs}) == 2
