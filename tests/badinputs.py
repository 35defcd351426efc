"""A corpus of bad inputs, built by code (no binary files in the repository), and what each gets.

Each case is a file (or folder, link, pipe) in an input folder and the outcome ottext should give:
``read`` (documents, no warning), ``warn`` (documents plus per-line/per-sheet warnings), ``skip``
(no documents, one line naming the file) or ``ignored`` (a folder walk passes over it without a
message: files of types ottext does not read). ``message`` is a substring of the warning or error.

    python tests/badinputs.py OUTDIR          # write OUTDIR/inputs (the corpus) and OUTDIR/outside
    python tests/badinputs.py --table         # build in a temporary folder, ingest, print Markdown

Symlink targets live in OUTDIR/outside, beside the input folder, so "outside" is real. The 200 MB
file is sparse (``truncate``): ottext refuses it by size from ``stat`` before reading a byte, so
its content never matters and it costs no disk or time to make.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # conftest's PDF builders, when run as a script


from badinput_builders import (  # noqa: E402
    IS_ROOT,
    build_10mb_line,
    build_200mb,
    build_binary_elf,
    build_binary_png,
    build_bom_csv,
    build_cjk_only,
    build_control_chars,
    build_cp1252,
    build_dangling_symlink,
    build_dir_named_txt,
    build_docx_billion_laughs,
    build_docx_macros_links,
    build_docx_renamed_xlsx,
    build_docx_xxe,
    build_duplicate_columns,
    build_emoji_only,
    build_empty,
    build_empty_docx,
    build_encrypted_pdf,
    build_fifo,
    build_header_only,
    build_html_pdf,
    build_invalid_utf8,
    build_jsonl_all_bad,
    build_jsonl_bad_lines,
    build_jsonl_deep,
    build_mixed_endings,
    build_multilingual,
    build_named,
    build_no_permission,
    build_nul_csv,
    build_owner_only_pdf,
    build_quoted_newlines,
    build_ragged,
    build_scanned_pdf,
    build_semicolon_csv,
    build_semicolons_in_text,
    build_symlink_loop,
    build_symlink_outside,
    build_tab_csv,
    build_truncated_docx,
    build_truncated_pdf,
    build_unbalanced_quote,
    build_unsupported,
    build_utf16_bom,
    build_utf16be_nobom,
    build_utf16le_nobom,
    build_whitespace,
    build_xlsx_billion_laughs,
    build_xlsx_empty_sheet,
    build_xlsx_formulas_merged_sheets,
    build_xlsx_only_empty,
    build_xlsx_renamed_docx,
    build_zip_bomb,
    printable,
)

INPUTS, OUTSIDE = "inputs", "outside"


# the table -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    name: str
    filename: str
    build: Callable[[Path], None]
    expect: str  # read | warn | skip | ignored
    message: str = ""  # a substring of a warning (warn) or of the error (skip)
    note: str = ""
    check: Callable[[list], bool] | None = None  # on the documents read, for read and warn
    only_if: bool = True  # False: not built here (e.g. file permissions mean nothing to root)

    @property
    def shown(self) -> str:
        """The file name as ottext prints it (bytes that are not UTF-8 shown as \\xNN)."""
        return printable(self.filename)


def _texts(docs) -> str:
    return "\n".join(d.text for d in docs)


CASES: list[Case] = [
    # text and encodings
    Case("empty file", "empty.txt", build_empty, "skip", "file is empty"),
    Case("whitespace-only file", "whitespace_only.txt", build_whitespace, "skip", "file is empty"),
    Case("PNG renamed .txt", "photo_png.txt", build_binary_png, "skip", "looks like a binary file"),
    Case("executable renamed .md", "program_elf.md", build_binary_elf, "skip", "looks like a binary file"),
    Case("all control characters", "control_chars.txt", build_control_chars, "skip",
         "mostly control characters"),
    Case("invalid UTF-8 bytes", "invalid_utf8.txt", build_invalid_utf8, "warn", "not valid UTF-8",
         check=lambda d: "caf\u00e9 team\u2019s" in _texts(d) and "\ufffd" in _texts(d)),
    Case("UTF-16 with BOM", "utf16_bom.txt", build_utf16_bom, "read",
         check=lambda d: "manager\u2019s" in _texts(d) and "Ł\u00f3d\u017a" in _texts(d)),
    Case("UTF-16 LE without BOM", "utf16le_nobom.txt", build_utf16le_nobom, "read",
         check=lambda d: _texts(d).startswith("Supervision is monthly")),
    Case("UTF-16 BE without BOM", "utf16be_nobom.txt", build_utf16be_nobom, "read",
         check=lambda d: _texts(d).startswith("The waiting list")),
    Case("cp1252 smart quotes", "cp1252_quotes.txt", build_cp1252, "read",
         check=lambda d: "OT\u2019s \u201cweighting tool\u201d \u2013" in _texts(d) and "\u00a310" in _texts(d)),
    Case("mixed line endings", "mixed_endings.txt", build_mixed_endings, "read",
         check=lambda d: len(_texts(d).splitlines()) == 4),
    Case("200 MB text file (sparse)", "huge_200mb.txt", build_200mb, "skip", "over the 10 MB limit"),
    Case("one 10 MB line", "one_line_10mb.txt", build_10mb_line, "read",
         note="10,000,000 bytes, under the 10 MiB limit", check=lambda d: len(d[0].text) == 10_000_000),
    # names and folder walks
    Case("name with spaces", "name with spaces.txt", build_named, "read"),
    Case("name with quotes", "quote's \"double\" name.txt", build_named, "read"),
    Case("non-Latin name", "\u0141\u00f3d\u017a \u6771\u4eac \u0645\u0631\u062d\u0628\u0627.txt", build_named,
         "read"),
    Case("name not valid UTF-8", os.fsdecode(b"latin1_caf\xe9.txt"), build_named, "skip",
         "file name is not valid UTF-8"),
    Case("symlink to outside the folder", "link_outside.txt", build_symlink_outside, "skip",
         "points outside the input folder"),
    Case("symlink loop", "link_loop.txt", build_symlink_loop, "skip", "symbolic link loop"),
    Case("dangling symlink", "link_dangling.txt", build_dangling_symlink, "skip", "broken symbolic link"),
    Case("named pipe (FIFO)", "pipe.txt", build_fifo, "skip", "not a regular file"),
    Case("folder named x.txt", "folder.txt", build_dir_named_txt, "read", note="walked as a folder",
         check=lambda d: [x.source for x in d] == ["folder.txt/inside.txt"]),
    Case("unsupported type in a folder", "notes.rtf", build_unsupported, "ignored"),
    Case("no read permission", "no_permission.txt", build_no_permission, "skip", "Permission denied",
         only_if=not IS_ROOT),
    # Word
    Case("zip bomb as .docx", "zip_bomb.docx", build_zip_bomb, "skip", "looks like a zip bomb"),
    Case(".docx with macros and external links", "macros_links.docx", build_docx_macros_links, "read",
         note="nothing fetched or run",
         check=lambda d: "practice forum" in _texts(d) and "the intranet page" in _texts(d)),
    Case(".xlsx renamed .docx", "really_xlsx.docx", build_xlsx_renamed_docx, "skip", "no word/document.xml"),
    Case("truncated .docx", "truncated.docx", build_truncated_docx, "skip", "damaged or truncated zip"),
    Case(".docx with no text", "empty_body.docx", build_empty_docx, "skip", "no readable text"),
    Case(".docx with an XXE entity", "xxe.docx", build_docx_xxe, "read", note="entity not resolved",
         check=lambda d: "duty cover" in _texts(d) and "root:" not in _texts(d)),
    Case(".docx billion laughs", "billion_laughs.docx", build_docx_billion_laughs, "skip", "not a valid .docx",
         note="lxml refuses the entity expansion"),
    # PDF
    Case("encrypted PDF", "encrypted.pdf", build_encrypted_pdf, "skip", "PDF is encrypted"),
    Case("PDF with owner password only", "owner_password.pdf", build_owner_only_pdf, "read",
         check=lambda d: "Two posts are frozen" in _texts(d)),
    Case("PDF with no text layer", "scanned.pdf", build_scanned_pdf, "skip", "PDF has no text layer"),
    Case("HTML saved as .pdf", "html_page.pdf", build_html_pdf, "skip", "not a readable PDF"),
    Case("truncated PDF", "truncated.pdf", build_truncated_pdf, "skip", "not a readable PDF"),
    # CSV
    Case("semicolon-delimited CSV", "semicolons.csv", build_semicolon_csv, "read",
         check=lambda d: len(d) == 4 and d[0].context == "What gets in the way?"),
    Case("tab-delimited CSV", "tabs.csv", build_tab_csv, "read", check=lambda d: len(d) == 4),
    Case("CSV with quoted newlines", "quoted_newlines.csv", build_quoted_newlines, "read",
         check=lambda d: len(d) == 4 and "\nThen duty cover" in d[1].text),
    Case("CSV with duplicate column names", "duplicate_columns.csv", build_duplicate_columns, "read",
         check=lambda d: sorted({x.context for x in d}) == ["Comments", "Comments_2"]),
    Case("CSV with ragged rows", "ragged.csv", build_ragged, "warn", "extra cells ignored",
         check=lambda d: len(d) == 3),
    Case("CSV with only a header", "header_only.csv", build_header_only, "skip", "header row but no data rows"),
    Case("CSV with a NUL byte in one cell", "nul_byte.csv", build_nul_csv, "warn",
         "row 2: a cell holds a NUL byte; row skipped",
         check=lambda d: [x.respondent for x in d] == ["R2", "R3", "R4"]),
    Case("survey in other languages and emoji", "multilingual.csv", build_multilingual, "read",
         check=lambda d: len(d) == 6 and "\U0001F44D" in _texts(d)),
    Case("survey of emoji only", "emoji_only.csv", build_emoji_only, "skip", "no free-text column found"),
    Case("survey in Chinese only", "chinese_only.csv", build_cjk_only, "read", check=lambda d: len(d) == 4),
    Case("CSV with an unbalanced quote", "unbalanced_quote.csv", build_unbalanced_quote, "warn",
         "never closed", check=lambda d: [x.respondent for x in d] == ["R1", "R2", "R3", "R4"]
         and d[0].text == '"Too many cases and no weighting tool'),
    Case("CSV with a UTF-8 BOM", "bom_header.csv", build_bom_csv, "read",
         check=lambda d: [x.respondent for x in d] == ["R1", "R2", "R3", "R4"]),
    Case("comma CSV with semicolons in answers", "semicolon_answers.csv", build_semicolons_in_text, "read",
         check=lambda d: len(d) == 4 and d[0].text.startswith("Too many cases; no weighting")),
    # spreadsheets
    Case(".xlsx with formulas, merged cells, sheets", "formulas_merged.xlsx", build_xlsx_formulas_merged_sheets,
         "warn", "looks like a title", note="title row dropped; formula-only sheet skipped",
         check=lambda d: len(d) == 5 and d[0].context == "What gets in the way?" and d[0].respondent == "R1"),
    Case(".xlsx with an empty sheet", "empty_sheet.xlsx", build_xlsx_empty_sheet, "warn", "sheet skipped",
         check=lambda d: len(d) == 2),
    Case(".xlsx with nothing in it", "blank.xlsx", build_xlsx_only_empty, "skip", "has no header row"),
    Case(".docx renamed .xlsx", "really_docx.xlsx", build_docx_renamed_xlsx, "skip", "not a readable spreadsheet"),
    Case(".xlsx billion laughs", "billion_laughs.xlsx", build_xlsx_billion_laughs, "skip",
         "not a readable spreadsheet"),
    # JSON lines
    Case("JSONL with bad lines", "bad_lines.jsonl", build_jsonl_bad_lines, "warn", "line 3: not valid JSON",
         check=lambda d: [x.respondent for x in d] == ["p1", "p4"]),
    Case("JSONL with no good line", "all_bad.jsonl", build_jsonl_all_bad, "skip", "no readable text"),
    Case("JSONL with 100,000-deep nesting", "deep_nesting.jsonl", build_jsonl_deep, "warn", "line 1",
         check=lambda d: len(d) == 1),
]


def active_cases() -> list[Case]:
    return [c for c in CASES if c.only_if]


def build_corpus(outdir: Path, cases: list[Case] | None = None) -> Path:
    """Write the cases into ``outdir/inputs`` (returned); symlink targets go in ``outdir/outside``."""
    root = Path(outdir) / INPUTS
    root.mkdir(parents=True, exist_ok=True)
    for case in cases if cases is not None else active_cases():
        case.build(root / case.filename)
    return root


# reading, as `ottext run` does, without a project ----------------------------------------------
@dataclass
class Outcome:
    case: str  # the top-level name in the input folder the outcome belongs to (printable)
    status: str  # read | warn | skip | crash
    messages: list[str] = field(default_factory=list)
    documents: list = field(default_factory=list)
    seconds: float = 0.0


def ingest_folder(root: Path, options=None) -> dict[str, Outcome]:
    """Walk ``root`` and read every file the way ``run_project`` does (size check, read, reader),
    without cleaning or a store. Returns an outcome per top-level name; ``crash`` means an
    exception other than an IngestError (with its traceback as the message)."""
    from ottext.errors import Errors, IngestError
    from ottext.ingest import IngestOptions, check_size, iter_input_files, read_file

    options = options or IngestOptions()
    out: dict[str, Outcome] = {}

    def outcome(name: str) -> Outcome:
        top = printable(name).split("/")[0]
        return out.setdefault(top, Outcome(top, "read"))

    clock = time.perf_counter()
    for item in iter_input_files([root]):
        if isinstance(item, IngestError):
            o = outcome(os.path.relpath(item.file, printable(str(root))))
            o.status, o.messages = "skip", o.messages + [str(item)]
            continue
        o = outcome(item.source)
        try:
            check_size(item.path, options)
            try:
                data = item.path.read_bytes()
            except OSError as exc:
                raise IngestError(Errors.E017, file=item.path, detail=exc.strerror or str(exc)) from None
            result = read_file(item, data, options)
        except IngestError as exc:
            o.status, o.messages = "skip", o.messages + [str(exc)]
        except Exception:  # what a traceback would have shown
            o.status, o.messages = "crash", o.messages + [traceback.format_exc()]
        else:
            o.documents += result.documents
            o.messages += result.warnings
            if result.warnings and o.status == "read":
                o.status = "warn"
        o.seconds += time.perf_counter() - clock
        clock = time.perf_counter()
    return out


def markdown_table() -> str:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        root = build_corpus(Path(tmp))
        outcomes = ingest_folder(root)
    lines = [f"{len(active_cases())} bad inputs.", "", "| # | case | file | expected | actual | message |",
             "|---|---|---|---|---|---|"]
    for n, case in enumerate(active_cases(), start=1):
        o = outcomes.get(case.shown, Outcome(case.shown, "ignored"))
        if o.status == "read":
            message = f"{len(o.documents)} document(s)"
        elif o.status == "ignored":
            message = "(not a type ottext reads; passed over)"
        else:
            message = " / ".join(m.replace(str(root) + "/", "") for m in o.messages)
        if len(message) > 300:
            message = message[:297] + "..."
        message = message.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {n} | {case.name} | `{case.shown}` | {case.expect} | {o.status} | {message} |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if argv == ["--table"]:
        print(markdown_table())
        return 0
    if len(argv) != 1 or argv[0].startswith("-"):
        print("usage: python tests/badinputs.py OUTDIR | --table", file=sys.stderr)
        return 2
    started = time.perf_counter()
    root = build_corpus(Path(argv[0]))
    print(f"wrote {len(active_cases())} bad inputs to {root} in {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
