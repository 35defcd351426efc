"""`--help` reads plainly: flags as flags, no Python type names, nothing cut off or broken mid-line."""

from __future__ import annotations

import inspect

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from ottext.cli import app


def _commands(command=None, path=()):
    """Every command and group of the app, as its argument path (the app itself is ``()``)."""
    command = command or get_command(app)
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _commands(sub, (*path, name))


@pytest.mark.parametrize("columns", ["80", "100"])
def test_help_shows_no_python_types_and_flags_as_flags(columns):
    runner = CliRunner()
    checked = 0
    for path, _ in _commands():
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": columns})
        assert result.exit_code == 0, (path, result.output)
        for shown in ("<bool>", "list[", "Path]", "{", "\u2026"):  # the ellipsis: text cut off
            assert shown not in result.output, (" ".join(path) or "ottext", shown, result.output)
        checked += 1
    assert checked >= 15
    run_help = runner.invoke(app, ["run", "--help"], env={"COLUMNS": "100"}).output
    assert "Usage: ottext run [OPTIONS] INPUTS..." in run_help
    assert "<path>" in run_help and "<text>" in run_help  # value options still say what they take


def test_help_paragraphs_are_not_broken_mid_line():
    """Typer keeps a docstring's line breaks, so each paragraph must be one line in the source."""
    for path, command in _commands():
        for paragraph in inspect.cleandoc(command.help or "").split("\n\n"):
            assert "\n" not in paragraph.strip(), (" ".join(path), paragraph)
        for param in command.params:
            assert "\n" not in (getattr(param, "help", None) or ""), (" ".join(path), param.name)
