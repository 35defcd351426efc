"""The ``ottext`` command line: a thin Typer layer over the library.

Exit codes: 0 success; 1 a problem stopped the command (one line on stderr names the file and
the problem); 2 the command line itself was wrong; 3 ``run --strict`` finished but skipped files.
"""

from __future__ import annotations

import sys

import typer

from ottext.cli import classify as classify_cmds
from ottext.cli import codebook as codebook_cmds
from ottext.cli import diff as diff_cmds
from ottext.cli import export as export_cmds
from ottext.cli import forget as forget_cmds
from ottext.cli import quotes as quotes_cmds
from ottext.cli import report as report_cmds
from ottext.cli import review as review_cmds
from ottext.cli import run as run_cmds
from ottext.cli import scores as scores_cmds
from ottext.cli import topics as topics_cmds
from ottext.cli._common import fail
from ottext.cli._help import plain_help
from ottext.errors import OttextError

plain_help()

app = typer.Typer(
    name="ottext", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    help="Turn qualitative text about the OT workforce into coded, quotable evidence.",
)
app.command("run")(run_cmds.run)
app.command("train")(classify_cmds.train)
app.command("code")(classify_cmds.code)
app.command("evaluate")(classify_cmds.evaluate)
app.command("topics")(topics_cmds.topics)
app.command("export")(export_cmds.export)
app.command("quotes")(quotes_cmds.quotes)
app.command("scores")(scores_cmds.scores)
app.command("report")(report_cmds.report)
app.command("diff")(diff_cmds.diff)
app.command("forget")(forget_cmds.forget)
app.add_typer(review_cmds.app, name="review")
app.command("agreement")(review_cmds.agreement)
app.add_typer(codebook_cmds.app, name="codebook")


def main() -> None:
    """Console entry point: never shows a traceback for a problem with the user's input."""
    try:
        app()
    except KeyboardInterrupt:
        print("ottext: interrupted", file=sys.stderr)
        sys.exit(130)
    except OttextError as exc:  # a command that did not catch its own: still one clear line
        fail(str(exc))
    except Exception as exc:  # last resort: one line, not a traceback
        fail(f"internal error: {type(exc).__name__}: {exc}")
