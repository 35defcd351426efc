"""Seeded personal data through the whole CLI, default and ``--fast``: a survey whose name, manager
and contact columns hold names of every shape (capitals, lower case, initials, accents, particles,
hyphens, Mac/Mc, apostrophes), answers that mention them in other spellings, and a transcript with
speaker names, emails, phones, postcodes, NHS and NI numbers, staff numbers, addresses and dates of
birth. No byte of any export, ``--out`` file or printed output holds them; the store holds them in
its pseudonym map only; and after ``forget --respondent P07`` no byte under the project names P07."""

from __future__ import annotations

import csv
import re
import sqlite3
import zipfile

import pytest
from typer.testing import CliRunner

from ottext.cli import app

PEOPLE = ["JOHN SMYTHE", "john smythe", "J. R. Hartley", "Nguyễn Văn An", "Anna van der Berg",
          "Mary-Jane Smith-Jones", "Ewan MacLeod", "Siobhán O'Neill", "Zoë Brontë", "José Álvarez",
          "Kwame Mensah-Bonsu", "Fiona McDonald"]
MANAGERS = ["Fiona McDonald", "Ewan MacLeod", "Zoë Brontë"]
# how answers mention people: other cases, no accents, parts of names
MENTIONS = ["John Smythe", "Smythe", "JR Hartley", "Hartley", "Nguyen Van An", "Van An", "Anna", "van der Berg",
            "Mary-Jane", "Smith-Jones", "macleod", "Siobhan ONeill", "Siobhan", "Zoe Bronte", "Jose Alvarez",
            "Álvarez", "Mensah", "Fiona", "McDonald"]
# what must never appear in any output: every distinctive word and every variant above
SECRET_WORDS = ["smythe", "hartley", "nguyễn", "nguyen", "văn", "anna", "berg", "mary", "jane", "smith", "jones",
                "ewan", "macleod", "siobhán", "siobhan", "o'neill", "oneill", "neill", "zoë", "zoe", "brontë", "bronte",
                "josé", "álvarez", "alvarez", "kwame", "mensah", "bonsu", "fiona", "mcdonald", "bronwen", "pryce",
                "john"]
SECRET_STRINGS = ["943 476 5919", "9434765919", "4010232137", "QQ 12 34 56 C", "AB123456C", "OT12345", "OT 67890",
                  "12 Acacia Avenue", "LS1 4AB", "07700 900777", "0113 496 0123", "14/02/1981", "3 March 1979",
                  "siobhan.oneill@eastfield.example", "p.", "eastfield.example"]
P07_SECRETS = ["siobh", "neill", "07700 900777", "siobhan.oneill", "943 476 5919", "9434765919"]
HELPS = ["My manager {m} protects supervision every month, which keeps me safe.",
         "Protected CPD time and a training budget help me stay up to date; {m} signs it off.",
         "I am proud of the difference we make to people at home, and {m} says so too.",
         "Eastfield County Council pays our HCPC fees and {m} made that happen."]
HINDERS = ["The waiting list is huge and we have two vacancies; ask {m} about it.",
           "Too many cases allocated and {m} cannot stop it.",
           "Hot desking wears me down; I told {m} twice.",
           "Agency staff come and go and {m} covers the gaps."]


def _write_inputs(folder):
    with (folder / "survey.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["respondent_id", "name", "manager", "email", "What helps?", "What gets in the way?"])
        for i in range(24):
            person = PEOPLE[i % len(PEOPLE)]
            helps = HELPS[i % 4].format(m=MENTIONS[i % len(MENTIONS)])
            hinders = HINDERS[i % 4].format(m=MENTIONS[(i + 7) % len(MENTIONS)])
            email = f"r{i}@eastfield.example"
            if i == 7:
                person, email = "Siobhán O'Neill", "siobhan.oneill@eastfield.example"
                hinders = "My NHS number 943 476 5919 got into my staff record; ring me on 07700 900777."
            w.writerow([f"P{i:02d}", person, MANAGERS[i % 3], email, f"{helps} ({i})", f"{hinders} ({i})"])
    (folder / "interview.txt").write_text(
        "Interviewer: What helps you in your role?\n"
        "Bronwen Pryce: Honestly my manager Fiona McDonald fought for our supervision time. Reach me at "
        "p.b@eastfield.example or 0113 496 0123.\n"
        "Interviewer: And what gets in the way?\n"
        "Bronwen Pryce: Vacancies. Kwame Mensah-Bonsu (DOB 14/02/1981, NI QQ 12 34 56 C) has covered two "
        "caseloads since March. His NHS number is 4010232137 and mine is on file with AB123456C.\n"
        "Interviewer: Anything else?\n"
        "Bronwen Pryce: My HCPC number is OT12345, his is OT 67890. Letters go to 12 Acacia Avenue, Leeds LS1 4AB. "
        "Ms Pryce, born 3 March 1979, signed the form.\n", encoding="utf-8")


def _text_of(path) -> str:
    if path.suffix in (".xlsx", ".qdpx", ".docx"):
        with zipfile.ZipFile(path) as zf:
            return "\n".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist())
    if path.suffix == ".html":  # the figure data only: the bundled plotly.js names its authors
        return path.read_text(encoding="utf-8").rsplit("Plotly.newPlot(", 1)[-1]
    return path.read_bytes().decode("utf-8", "replace")


def _outputs_text(*folders, skip_db: bool = True) -> str:
    parts = []
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or path.suffix == ".png":
                continue
            if skip_db and path.name.startswith("project.db"):
                continue
            parts.append(_text_of(path))
    return "\n".join(parts)


def _leaks(text: str) -> list[str]:
    low = text.lower()
    found = [w for w in SECRET_WORDS if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", low)]
    return found + [s for s in SECRET_STRINGS if s.lower() in low and s != "p."]


@pytest.fixture(scope="module", params=["default", "fast"])
def seeded(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"seeded_{request.param}")
    _write_inputs(folder)
    project, out = folder / "project", folder / "out"
    runner = CliRunner()
    run = ["run", str(folder / "survey.csv"), str(folder / "interview.txt"), "-p", str(project)]
    run += ["--fast"] if request.param == "fast" else []
    commands = [run]
    commands += [["export", "-p", str(project), "-f", fmt, "--shape", shape, "-o", str(out / f"coded_{shape}.{fmt}")]
                 for fmt in ("csv", "xlsx", "jsonl") for shape in ("long", "wide")]
    commands += [["export", "-p", str(project), "-f", "qdpx", "-o", str(out / "p.qdpx")]]
    commands += [["quotes", "-p", str(project), "--code", "supervision", "-f", fmt, "-o", str(out / f"q.{fmt}")]
                 for fmt in ("md", "docx", "html", "json")]
    commands += [["report", "-p", str(project), "--out", str(out / "report.html")],
                 ["review", "export", "-p", str(project), "-o", str(out / "review.xlsx")],
                 ["diff", "-p", str(project), "--json"], ["topics", "-p", str(project), "--json"]]
    printed = []
    for args in commands:
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
        printed.append(result.output)
    before = _outputs_text(project, out) + "\n".join(printed)
    forgot = runner.invoke(app, ["forget", "-p", str(project), "--respondent", "P07"])
    assert forgot.exit_code == 0, forgot.output
    after = _outputs_text(project, out) + forgot.output
    raw_db = b"".join(p.read_bytes() for p in project.glob("project.db*"))
    return project, before, after, raw_db


def test_no_output_holds_seeded_personal_data(seeded):
    _, before, after, _ = seeded
    assert "[PERSON_1]" in before and "[NHS_1]" in before
    assert _leaks(before) == [] and _leaks(after) == []


def test_organisations_stay_in_the_text(seeded):
    _, before, _, _ = seeded
    assert "Eastfield County Council pays" in before


def test_the_store_holds_names_only_in_its_pseudonym_map(seeded):
    project, _, _, _ = seeded
    db = sqlite3.connect(project / "project.db")
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    dump = "\n".join(str(row) for t in tables if t != "redactions" for row in db.execute(f"SELECT * FROM {t}"))
    assert _leaks(dump) == []


def test_forget_leaves_no_trace_of_the_respondent_in_any_byte(seeded):
    project, _, after, raw_db = seeded
    raw = raw_db.decode("utf-8", "replace").lower() + after.lower()
    assert [s for s in P07_SECRETS if s in raw] == []
    # others' names stay in the pseudonym map, so forgetting took only what named P07
    assert "fiona mcdonald" in raw_db.decode("utf-8", "replace").lower()
