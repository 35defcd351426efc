"""Plain ``--help`` for researchers: no Python type names, flags shown as flags.

Recent Typer versions print a type for every parameter from its annotation: ``<bool>`` beside
each flag (``--help`` included), ``<list[Path]>`` and ``<list[str]>`` beside repeatable ones, and a
required argument as ``{inputs}...`` in the usage line. ``plain_help()`` makes flags show no type,
names a repeatable option by what one value is (``<path>``, ``<text>``), and writes arguments the
usual way (``INPUTS...``). Typer versions without these hooks already print help this way, so
there it changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable

WORDS = {"str": "text", "Path": "path"}  # the Python names Typer shows, in words


def plain_label(label: str | None) -> str | None:
    """``<list[Path]>`` -> ``<path>``, ``<str>`` -> ``<text>``; other labels as they are."""
    if label is None:
        return None
    label = re.sub(r"list\[(\w+)\]", r"\1", str(label))
    return re.sub(r"\b(str|Path)\b", lambda m: WORDS[m[1]], label)


def _type_label(original: Callable) -> Callable:
    def display_type_rich(self, ctx) -> str | None:
        if getattr(self, "is_flag", False):
            return None
        return plain_label(original(self, ctx))
    return display_type_rich


def _argument_name(self) -> str:
    """An argument as help usually writes it: ``INPUTS...``, or ``[NAME]`` when it is optional."""
    name = (self.metavar or self.name or "").upper()
    if not self.required:
        name = f"[{name}]"
    return name + ("..." if self.nargs != 1 else "")


def plain_help() -> None:
    """Make Typer's help plain (idempotent; a no-op on versions without these hooks)."""
    from typer import core

    for cls in (getattr(core, "TyperOption", None), getattr(core, "TyperArgument", None)):
        original = getattr(cls, "display_type_rich", None)
        if original is not None and not getattr(original, "_ottext_plain", False):
            patched = _type_label(original)
            patched._ottext_plain = True
            cls.display_type_rich = patched
    argument = getattr(core, "TyperArgument", None)
    for hook in ("_usage_display_name", "_rich_display_name"):
        if argument is not None and hasattr(argument, hook):
            setattr(argument, hook, _argument_name)
