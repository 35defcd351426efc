"""Cleaning: a spaCy pipeline of registered components (normalise, strip boilerplate, redact,
mark structure, flag low content) that turns a raw document into clean, redacted text."""

from ottext.clean.low_content import is_low_content
from ottext.clean.normalise import normalise_text
from ottext.clean.pipeline import CleanedDocument, Cleaner, build_pipeline
from ottext.clean.structure import Block

__all__ = ["Block", "CleanedDocument", "Cleaner", "build_pipeline", "is_low_content", "normalise_text"]
