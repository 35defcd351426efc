"""Build the demo case study corpora/demo/case_study_principal_ot.docx.

The text is synthetic, written for ottext. The organisation, people, email address and phone
number are fictional (the number is in an Ofcom drama range) and are there to exercise
redaction. The output is deterministic: core properties use a fixed date and the zip members
carry a fixed timestamp, so rebuilding gives a byte-identical file.

Usage: python scripts/make_demo_docx.py [output_path]
"""

from __future__ import annotations

import io
import sys
import zipfile
from datetime import datetime
from pathlib import Path

from docx import Document

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "corpora" / "demo" / "case_study_principal_ot.docx"
FIXED_DATE = datetime(2024, 4, 2, 9, 0, 0)
ZIP_DATE = (2024, 4, 2, 9, 0, 0)

RUNNING_HEADER = "Eastfield County Council | Adult Social Care | Workforce case studies"
TITLE = "Case study: building a principal OT role in a county council"

ABOUT = [
    "Priya Sharma qualified as an occupational therapist in 2006 and worked in acute and "
    "community NHS services before joining Eastfield County Council as a senior OT in 2014. "
    "In 2021 she became the council's first principal occupational therapist, a role created "
    "after a review found that OT had no professional lead above team manager level. She now "
    "leads a workforce of around 85 OTs, senior OTs and OT assistants across adult social care.",
]

# (question, answer paragraphs, use a Heading 2 style). False means a bold paragraph, which
# mimics the inconsistent formatting of real exported case studies.
QA: list[tuple[str, list[str], bool]] = [
    (
        "Why did Eastfield decide it needed a principal OT?",
        [
            "Before 2021 our OTs were spread across locality teams managed by social workers. "
            "Practice was good in places, but nobody was accountable for OT as a profession. "
            "Recommendations were overruled at panel with no OT in the room, and staff told us "
            "in the health check that they felt invisible.",
            "The director of adult social care read those comments and asked what a professional "
            "lead would look like. We looked at councils that already had one and wrote a case "
            "built around governance, safer practice and retention rather than cost alone.",
        ],
        True,
    ),
    (
        "What does the role actually involve day to day?",
        [
            "I sit on the adult social care leadership team alongside the principal social "
            "worker, so the OT voice is heard when decisions are being made rather than after "
            "they have been made. I chair a monthly OT practice forum, wrote our practice model "
            "with the teams, and sign off policies that affect OT practice, from equipment "
            "thresholds to the trusted assessor framework.",
            "I hold no caseload, which was a deliberate choice. It means I can spend time in "
            "teams, listen, and take what I hear back to the people who can change things.",
        ],
        True,
    ),
    (
        "How have you approached workforce planning?",
        [
            "When I started we had a 22 per cent vacancy rate and no data beyond a list of "
            "names. We built a simple workforce model comparing staffing with referral demand "
            "in each locality, and used it to make the case for four additional OT assistant "
            "posts and a clear career structure: OTA, senior OTA, OT, senior OT and advanced "
            "practitioner, each with published criteria.",
            "We also consulted staff properly on the structure before it was agreed. People "
            "told us they had been through restructures that were announced to them, not "
            "discussed with them, and we did not want to repeat that. Vacancies are now under "
            "ten per cent and agency spend has fallen by more than half.",
        ],
        False,
    ),
    (
        "What part has the university partnership played?",
        [
            "A big part. We now take twelve OT students a year on placement from the local "
            "university, and every locality has at least one trained practice educator. Two "
            "of our OT assistants are on the degree apprenticeship, with the council paying "
            "fees and giving study time.",
            "The university also helped us evaluate our minor adaptations pathway, which gave "
            "us evidence to take to finance. Around half of our newly qualified OTs in the last "
            "two years had a placement with us first, so the partnership is also our pipeline.",
        ],
        True,
    ),
    (
        "How has supervision changed?",
        [
            "Every OT now has professional supervision from an OT at least every six weeks, even "
            "where their line manager is a social worker. Senior OTs have time for supervision "
            "written into their caseload weighting, and we train new supervisors before they "
            "start. We also run reflective group supervision for people working with the most "
            "complex cases.",
        ],
        False,
    ),
    (
        "What about CPD and registration?",
        [
            "We ring-fenced a CPD budget for OT and introduced a preceptorship programme for "
            "newly qualified staff, with a reduced caseload and protected learning time in the "
            "first year. Each OT has at least five study days a year, and we have funded "
            "postgraduate modules in housing adaptations and moving and handling.",
            "The council pays HCPC fees and we keep a shared system for CPD records, so nobody "
            "has to rebuild two years of evidence over a weekend if they are picked for audit.",
        ],
        True,
    ),
    (
        "Has it been difficult to hold on to these gains while budgets are tight?",
        [
            "Yes. The council has had to find savings every year and there is always pressure "
            "to freeze posts or choose the cheapest option. What has helped is being able to "
            "show that a well-staffed OT service saves money elsewhere, through fewer care "
            "hours and fewer hospital readmissions.",
        ],
        False,
    ),
    (
        "What are you most proud of?",
        [
            "Hearing OTs say they are proud to work here. In this year's health check, most "
            "said they would recommend Eastfield as an employer, and several people who left "
            "for the NHS have come back. The role did not fix everything, and waiting lists are "
            "still too long in two localities, but the profession now has a voice and a future "
            "here.",
        ],
        True,
    ),
]

PULL_QUOTE = (
    "\u201cI sit on the adult social care leadership team alongside the principal social worker, "
    "so the OT voice is heard when decisions are being made rather than after they have been "
    "made.\u201d"
)
QUOTE_AFTER = 2  # insert the pull quote after this many questions

CONTACT = (
    "For more information contact Priya Sharma, Principal Occupational Therapist, "
    "at priya.sharma@examplecouncil.gov.uk or on 020 7946 0718."
)
FOOTER_NOTE = "Eastfield County Council is an equal opportunities employer. Follow us for news."


def build_document() -> Document:
    """Return the case study as a python-docx Document."""
    doc = Document()
    props = doc.core_properties
    props.title = TITLE
    props.author = "Eastfield County Council"
    props.last_modified_by = "Eastfield County Council"
    props.subject = "Synthetic demo text written for ottext"
    props.keywords = "occupational therapy; workforce; case study"
    props.comments = "Synthetic text; all names and contact details are fictional."
    props.created = FIXED_DATE
    props.modified = FIXED_DATE
    props.last_printed = FIXED_DATE
    props.revision = 1

    doc.add_paragraph(RUNNING_HEADER)
    doc.add_heading(TITLE, level=1)
    doc.add_heading("About Priya", level=2)
    for text in ABOUT:
        doc.add_paragraph(text)

    for index, (question, answers, as_heading) in enumerate(QA, start=1):
        if as_heading:
            doc.add_heading(question, level=2)
        else:
            doc.add_paragraph().add_run(question).bold = True
        for text in answers:
            doc.add_paragraph(text)
        if index == QUOTE_AFTER:
            doc.add_paragraph(PULL_QUOTE).runs[0].italic = True
        if index == len(QA) // 2:
            # the running header again, as left behind by a page break in an export
            doc.add_paragraph(RUNNING_HEADER)

    doc.add_paragraph(CONTACT)
    doc.add_paragraph(FOOTER_NOTE)
    return doc


def save_deterministic(doc: Document, out: Path) -> None:
    """Save with fixed zip timestamps so rebuilding gives identical bytes."""
    raw = io.BytesIO()
    doc.save(raw)
    raw.seek(0)
    fixed = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, src.read(item.filename))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(fixed.getvalue())


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else DEFAULT_OUT
    save_deterministic(build_document(), out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
