"""REFI-QDA exchange: .qdc and .qdpx exports that validate and round-trip, and codebook import."""

from __future__ import annotations

import sqlite3
import zipfile
from pathlib import Path

import pytest
import yaml
from lxml import etree
from typer.testing import CliRunner

from ottext.cli import app
from ottext.codebook import load_codebook
from ottext.errors import CodebookError
from ottext.export.refi import code_guid, codebook_from_qdc, write_qdc, write_qdpx
from ottext.run import RunOptions, run_project
from ottext.store import Store

REFI = Path(__file__).resolve().parents[2] / "shared" / "refi"
NS = {"p": "urn:QDA-XML:project:1.0", "c": "urn:QDA-XML:codebook:1.0"}
SURVEY = (
    "respondent_id,Manager name,role,region,What gets in the way?,What helps?\n"
    'R1,Claire Hartley,OT,North West,"No admin support at all, so I book my own visits and chase deliveries.'
    ' The case recording system crashes every afternoon.","My manager Claire Hartley listens. Email me at'
    ' claire.hartley@example.org"\n'
    "R2,,Senior OT,London,I'm holding 45 cases and another twelve came in on duty this week. I go home"
    " exhausted.,Supervision every month with a senior OT.\n"
)
INTERVIEW = (
    "Interviewer: What makes the job hard?\n"
    "OT: There is never a desk free on office days, and the laptop is too slow for the case system."
    " Write to ot.lead@example.org if you disagree.\n"
    "Interviewer: Anything else?\nOT: Ok.\n"
)
NVIVO_QDC = """<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="NVivo 14">
  <Codes>
    <Code guid="8C7F6E4A-1D2B-4C3D-9E8F-0A1B2C3D4E5F" name="Staffing" isCodable="true" color="#FF0000">
      <Description>Vacancies, agency staff and turnover.</Description>
      <Code guid="{1A2B3C4D-5E6F-4A8B-9C0D-1E2F3A4B5C6D}" name="Agency staff" isCodable="true">
        <Description>Locums and agency OTs covering posts.</Description>
      </Code>
      <Code guid="2B3C4D5E-6F7A-4B9C-8D1E-2F3A4B5C6D7E" name="Café culture" isCodable="true"/>
    </Code>
    <Code guid="3C4D5E6F-7A8B-4C0D-9E2F-3A4B5C6D7E8F" name="3. Safe workloads" isCodable="true">
      <Description>Caseloads and waiting lists.</Description>
    </Code>
    <Code guid="4D5E6F7A-8B9C-4D1E-8F3A-4B5C6D7E8F9A" name="Staffing" isCodable="false"/>
  </Codes>
</CodeBook>
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("refi")
    (base / "survey.csv").write_text(SURVEY, encoding="utf-8")
    (base / "interview.txt").write_text(INTERVIEW, encoding="utf-8")
    summary = run_project([base / "survey.csv", base / "interview.txt"], base / "p",
                          RunOptions(model="blank", topics=False))
    assert summary.problems == [] and summary.passages_coded > 0
    return base / "p"


@pytest.fixture(scope="module")
def qdpx(project, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("qdpx") / "project.qdpx"
    with Store(project) as store:
        write_qdpx(store, load_codebook(), out, "OT workforce")
    return out


def _qde(path: Path) -> etree._Element:
    with zipfile.ZipFile(path) as zf:
        return etree.fromstring(zf.read("project.qde"))


def _schema(name: str) -> etree.XMLSchema:
    if not (REFI / name).is_file():
        pytest.skip(f"{REFI / name} is not beside the repository")
    return etree.XMLSchema(etree.parse(str(REFI / name)))


def test_qdc_validates_against_codebook_xsd(tmp_path):
    path = write_qdc(load_codebook(), tmp_path / "lga.qdc")
    schema = _schema("Codebook.xsd")
    assert schema.validate(etree.parse(str(path))), schema.error_log


def test_qdpx_project_validates_against_project_xsd(qdpx):
    schema = _schema("Project-mrt2019.xsd")
    assert schema.validate(_qde(qdpx)), schema.error_log


def test_qdpx_round_trip_offsets_and_code_refs(qdpx, project):
    root = _qde(qdpx)
    code_guids = {c.get("guid") for c in root.iterfind(".//p:CodeBook//p:Code", NS)}
    users = {u.get("guid") for u in root.iterfind("p:Users/p:User", NS)}
    with Store(project) as store:
        passages = {r["text"]: r for r in store.iter_passages()}
        wanted = {pid for pid, c in store.codings_by_passage().items() if c["codes"]}
    found = 0
    with zipfile.ZipFile(qdpx) as zf:
        for source in root.iterfind("p:Sources/p:TextSource", NS):
            sguid = source.get("guid")
            assert source.get("plainTextPath") == f"internal://{sguid}.txt"
            text = zf.read(f"sources/{sguid}.txt").decode("utf-8")
            for sel in source.iterfind("p:PlainTextSelection", NS):
                cut = text[int(sel.get("startPosition")):int(sel.get("endPosition"))]
                assert cut in passages and not passages[cut]["low_content"]
                assert sel.get("creatingUser") in users
                refs = [r.get("targetGUID") for r in sel.iterfind("p:Coding/p:CodeRef", NS)]
                assert refs and set(refs) <= code_guids
                found += 1
    assert found == len(wanted)
    assert "Ok." not in {s.get("name") for s in root.iterfind(".//p:PlainTextSelection", NS)}


def test_qdpx_survey_metadata_become_cases_and_variables(qdpx):
    root = _qde(qdpx)
    variables = {v.get("name"): v.get("guid") for v in root.iterfind("p:Variables/p:Variable", NS)}
    assert {"role", "region"} <= set(variables)
    cases = {c.get("name"): c for c in root.iterfind("p:Cases/p:Case", NS)}
    assert set(cases) == {"R1", "R2"}
    r2 = cases["R2"]
    values = {vv.find("p:VariableRef", NS).get("targetGUID"): vv.findtext("p:TextValue", namespaces=NS)
              for vv in r2.iterfind("p:VariableValue", NS)}
    assert values[variables["region"]] == "London"
    sources = {s.get("guid") for s in root.iterfind("p:Sources/p:TextSource", NS)}
    assert len(r2.findall("p:SourceRef", NS)) == 2
    assert {r.get("targetGUID") for r in r2.iterfind("p:SourceRef", NS)} <= sources


def test_nesting_environment_resources_inside_wellbeing(qdpx, tmp_path):
    for root, ns in ((_qde(qdpx), "p"), (etree.parse(str(write_qdc(load_codebook(), tmp_path / "c.qdc"))), "c")):
        child = root.find(f".//{ns}:Code[@guid='{code_guid('environment_resources')}']", NS)
        assert child.getparent().get("guid") == code_guid("wellbeing")
        assert child.getparent().get("name") == "Health, safety and wellbeing"


def test_determinism_two_exports_are_byte_identical(project, qdpx, tmp_path):
    with Store(project) as store:
        again = write_qdpx(store, load_codebook(), tmp_path / "again.qdpx", "OT workforce")
    assert again.read_bytes() == qdpx.read_bytes()
    one, two = write_qdc(load_codebook(), tmp_path / "1.qdc"), write_qdc(load_codebook(), tmp_path / "2.qdc")
    assert one.read_bytes() == two.read_bytes()


def test_redacted_name_never_reaches_the_qdpx(qdpx, project):
    db = sqlite3.connect(project / "project.db")
    assert "Claire Hartley" in {r[0] for r in db.execute("SELECT original FROM redactions")}
    db.close()
    with zipfile.ZipFile(qdpx) as zf:
        assert any("[PERSON_1]" in zf.read(n).decode("utf-8") for n in zf.namelist())
        for name in zf.namelist():
            data = zf.read(name).decode("utf-8")
            for secret in ("Claire", "Hartley", "claire.hartley@", "ot.lead@example.org"):
                assert secret not in data, (name, secret)


def test_codebook_import_nvivo_style_ids_and_parents(tmp_path):
    path = tmp_path / "nvivo.qdc"
    path.write_text(NVIVO_QDC, encoding="utf-8")
    cb = codebook_from_qdc(path)
    assert cb.ids == ["staffing", "agency_staff", "cafe_culture", "safe_workloads", "staffing_2"]
    assert [cb[c].parent for c in cb.ids] == [None, "staffing", "staffing", None, None]
    assert cb["agency_staff"].definition == "Locums and agency OTs covering posts."
    assert cb["cafe_culture"].definition == "Café culture"  # no Description: the name
    assert (cb["safe_workloads"].group, cb["safe_workloads"].number) == ("standard", 3)
    assert cb["staffing"].group == "theme"


def test_codebook_import_reads_ottext_export_back(qdpx, tmp_path):
    original = load_codebook()
    for path in (write_qdc(original, tmp_path / "lga.qdc"), qdpx):
        cb = codebook_from_qdc(path)
        assert [c.name for c in cb.codes] == [c.name for c in original.codes]
        child = next(c for c in cb.codes if c.name == original["environment_resources"].name)
        assert cb[child.parent].name == original["wellbeing"].name
        assert child.definition == original["environment_resources"].definition
        assert child.include == original["environment_resources"].include
        assert child.examples == original["environment_resources"].examples


def test_codebook_import_malformed_qdc_is_one_line_error(tmp_path):
    bad = tmp_path / "broken.qdc"
    bad.write_text("<CodeBook><Codes><Code name='x'></Codes>", encoding="utf-8")
    with pytest.raises(CodebookError, match=r"broken\.qdc: not a readable REFI-QDA file \(malformed XML") as exc:
        codebook_from_qdc(bad)
    assert "\n" not in str(exc.value)
    other = tmp_path / "other.qdc"
    other.write_text("<html><body/></html>", encoding="utf-8")
    with pytest.raises(CodebookError, match=r"other\.qdc: not a REFI-QDA codebook \(root element <html>"):
        codebook_from_qdc(other)


def test_cli_codebook_import(tmp_path):
    src = tmp_path / "nvivo.qdc"
    src.write_text(NVIVO_QDC, encoding="utf-8")
    out = tmp_path / "codebook.yaml"
    runner = CliRunner()
    res = runner.invoke(app, ["codebook", "import", str(src), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert str(out) in res.output and "5 codes" in res.output
    assert load_codebook(out).ids == codebook_from_qdc(src).ids
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["codes"][1]["parent"] == "staffing"
    again = runner.invoke(app, ["codebook", "import", str(src), "--out", str(out)])
    assert again.exit_code == 1 and "already exists" in again.output
    bad = tmp_path / "bad.qdc"
    bad.write_text("not xml at all", encoding="utf-8")
    failed = runner.invoke(app, ["codebook", "import", str(bad)])
    assert failed.exit_code == 1 and "bad.qdc: not a readable REFI-QDA file" in failed.output
    assert "Traceback" not in failed.output and len(failed.output.strip().splitlines()) == 1


def test_guids_are_the_name_based_uuid5_of_kind_and_key():
    import uuid

    from ottext.export.refi import GUID_NAMESPACE, guid

    for kind, key in [("source", "abc123"), ("selection", "é 東京 🙂"), ("code", ""), ("case", "s.csv\x1fR1")]:
        assert guid(kind, key) == str(uuid.uuid5(GUID_NAMESPACE, f"{kind}:{key}")).upper()


def test_source_names_are_file_safe_and_unique(qdpx):
    names = [s.get("name") for s in _qde(qdpx).iterfind("p:Sources/p:TextSource", NS)]
    assert any("What gets in the way" in n for n in names)
    for name in names:
        assert not set('<>:"/\\|?*') & set(name) and name == name.rstrip(". ") and name.isprintable(), name
    assert len({n.casefold() for n in names}) == len(names)


def test_file_safe_name_reserved_control_and_empty():
    from ottext.export.refi import file_safe_name

    assert file_safe_name("CON") == "_CON" and file_safe_name("nul.txt") == "_nul.txt"
    assert file_safe_name("a\x01b?") == "a b" and file_safe_name("...") == "source"
    assert file_safe_name('s.csv – R1 – Why? <a|b>*: "c"/d\\e.') == "s.csv – R1 – Why a b c d e"
