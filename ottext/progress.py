"""How a run tells whoever shows it what it is doing: a small contract with no display code.

A run goes through ``STAGES`` in order (those it does): each is ``start``-ed, ``advance``-d as its
work is done (per document, per batch of texts or passages) and ``end``-ed with what it made, counted
in the stage's unit. ``RunProgress`` hears all of it and does nothing; a listener (the CLI's bar or
its log lines) overrides what it shows. A stage that fails is never ended.
"""

from __future__ import annotations

STAGES = ("cleaning", "embedding", "coding", "topics", "exports")
UNITS = {"cleaning": "document", "embedding": "text", "coding": "passage", "topics": "topic", "exports": "file"}


class RunProgress:
    """Hears a run's stages; each method does nothing here."""

    def start(self, stage: str, total: int | None = None) -> None:
        """``stage`` begins; ``total`` units of work, if known yet."""

    def advance(self, stage: str, n: int = 1, total: int | None = None) -> None:
        """``n`` more units of ``stage`` are done; ``total``, when given, is its new total."""

    def detail(self, stage: str, text: str, done: int | None = None, of: int | None = None) -> None:
        """What ``stage`` is working on now (a file), and how far into it (part ``done`` of ``of``)."""

    def end(self, stage: str, count: int) -> None:
        """``stage`` finished, having made ``count`` of its unit (documents cleaned, texts embedded...)."""


def counted(stage: str, count: int) -> str:
    """``1 document``, ``463 passages``: a count in the stage's unit."""
    unit = UNITS[stage]
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"
