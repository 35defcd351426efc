"""Exports: read-only views of the project store written to files people open elsewhere."""

from ottext.export.files import atomic_write, safe_cell
from ottext.export.tabular import passage_rows, write_documents_jsonl, write_passages

__all__ = ["atomic_write", "passage_rows", "safe_cell", "write_documents_jsonl", "write_passages"]
