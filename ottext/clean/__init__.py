"""Cleaning: a spaCy pipeline of registered components (normalise, strip boilerplate, redact,
mark structure, flag low content) that turns a raw document into clean, redacted text."""

from ottext.clean._spacy import import_spacy_without_torch

import_spacy_without_torch()  # before any module below imports spaCy

from ottext.clean.low_content import is_low_content  # noqa: E402
from ottext.clean.normalise import normalise_text  # noqa: E402
from ottext.clean.pipeline import CleanedDocument, Cleaner, build_pipeline  # noqa: E402
from ottext.clean.structure import Block  # noqa: E402

__all__ = ["Block", "CleanedDocument", "Cleaner", "build_pipeline", "is_low_content", "normalise_text"]
