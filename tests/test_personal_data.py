"""Personal data: names, emails, phone numbers, URLs and postcodes seeded into a survey and a
transcript reach no output: not the run's exports, not any `ottext export` format or shape, not
the quote packs in any format, not the report, not a review workbook, not the topic outputs."""

from __future__ import annotations

import csv
import zipfile

import pytest
from typer.testing import CliRunner

from ottext.cli import app
from ottext.run import RunOptions, run_project

SECRETS = ["Claire Hartley", "Hartley", "Ngozi Adeyemi", "Adeyemi", "claire.h@eastmoor.gov.uk", "eastmoor.gov.uk",
           "07700 900461", "900461", "0161 496 0732", "496 0732", "www.private-blog.example",
           "private-blog", "SW1A 1AA"]
ANSWERS = [
    ("My manager Claire Hartley protects supervision every month, which keeps me safe.",
     "The waiting list is huge and we have two vacancies; ring me on 07700 900461 if you want detail."),
    ("Ngozi Adeyemi, our principal OT, speaks for us at the senior table.",
     "Email claire.h@eastmoor.gov.uk about the caseload numbers, they are not safe."),
    ("Protected CPD time and a training budget help me stay up to date with HCPC standards.",
     "Too many cases allocated; call 0161 496 0732 or see www.private-blog.example for my account."),
    ("I am proud of the difference we make to people at home.", "Hot desking at the SW1A 1AA office wears me down."),
]


def _every_output_text(folder) -> str:
    """Every file under ``folder``, unzipping xlsx, docx and qdpx, as one string."""
    parts = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.name == "project.db" or path.suffix in (".db-wal", ".db-shm"):
            continue
        if path.suffix in (".xlsx", ".qdpx", ".docx"):
            with zipfile.ZipFile(path) as zf:
                parts += [zf.read(n).decode("utf-8", "replace") for n in zf.namelist()]
        elif path.suffix == ".html":  # figure data only: the bundled plotly.js names its authors
            parts.append(path.read_text(encoding="utf-8").rsplit("Plotly.newPlot(", 1)[-1])
        elif path.suffix == ".png":
            continue
        else:
            parts.append(path.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(parts)


class NetworkUsed(AssertionError):
    pass


ATTEMPTS: list[str] = []  # a library that swallowed the error would still leave its attempt here


@pytest.fixture(scope="module")
def no_network():
    """Every socket connection fails loudly while the fixture is active: nothing may leave the machine."""
    import socket

    real = socket.socket.connect, socket.socket.connect_ex, socket.create_connection

    def refuse(*args, **kwargs):
        ATTEMPTS.append(repr(args[1:] or kwargs))
        raise NetworkUsed(f"network connection attempted: {args[1:] or kwargs}")

    socket.socket.connect = socket.socket.connect_ex = socket.create_connection = refuse
    yield
    socket.socket.connect, socket.socket.connect_ex, socket.create_connection = real


@pytest.fixture(scope="module")
def outputs(tmp_path_factory, no_network):
    folder = tmp_path_factory.mktemp("personal")
    with (folder / "survey.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["respondent_id", "manager", "What helps?", "What gets in the way?"])
        for i in range(16):
            helps, hinders = ANSWERS[i % 4]
            w.writerow([f"R{i:02d}", "Claire Hartley" if i % 2 else "Ngozi Adeyemi", f"{helps} ({i})",
                        f"{hinders} ({i})"])
    (folder / "interview.txt").write_text(
        "Interviewer: What helps?\nParticipant: Honestly Claire Hartley fought for our supervision time. "
        "You can reach her on 0161 496 0732.\nInterviewer: And what gets in the way?\n"
        "Participant: Vacancies. Ngozi Adeyemi has been covering two caseloads since March.\n", encoding="utf-8")
    project = folder / "project"
    summary = run_project([folder / "survey.csv", folder / "interview.txt"], project, RunOptions())
    assert summary.problems == [] and summary.passages_coded > 0 and summary.topics["status"] == "fitted"
    extra = folder / "extra"
    runner = CliRunner()
    commands = [["export", "-p", str(project), "-f", fmt, "--shape", shape, "-o", str(extra / f"coded_{shape}.{fmt}")]
                for fmt in ("csv", "xlsx", "jsonl", "parquet") for shape in ("long", "wide")]
    commands += [["export", "-p", str(project), "-f", "qdpx", "-o", str(extra / "p.qdpx")]]
    commands += [["quotes", "-p", str(project), "--code", "supervision", "-f", fmt, "-o", str(extra / f"q.{fmt}")]
                 for fmt in ("md", "docx", "html", "json")]
    commands += [["report", "-p", str(project), "--out", str(extra / "report.html")],
                 ["review", "export", "-p", str(project), "-o", str(extra / "review.xlsx")],
                 ["diff", "-p", str(project), "--json"], ["topics", "-p", str(project), "--json"]]
    printed = []
    for args in commands:
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
        printed.append(result.output)
    return project, extra, "\n".join(printed)


def test_seeded_personal_data_reaches_no_output(outputs):
    project, extra, printed = outputs
    assert len(list(extra.iterdir())) == 15 and (project / "exports" / "project.qdpx").is_file()
    text = _every_output_text(project / "exports") + _every_output_text(extra) + printed
    assert "[PERSON_1]" in text and "[PHONE_1]" in text and "[EMAIL_1]" in text
    for secret in SECRETS:
        assert secret.lower() not in text.lower(), secret


def test_nothing_leaves_the_machine(outputs):
    """The run (NER, MiniLM, classifier, topics) and every command above ran with sockets refused."""
    _, _, printed = outputs
    assert ATTEMPTS == [] and "network connection attempted" not in printed


def test_pseudonym_map_stays_in_the_store(outputs):
    import sqlite3

    project, _, _ = outputs
    db = sqlite3.connect(project / "project.db")
    originals = {r[0] for r in db.execute("SELECT original FROM redactions")}
    assert {"Claire Hartley", "07700 900461", "claire.h@eastmoor.gov.uk"} <= originals
