"""Packaging metadata: what ``pip install -e .`` reads from pyproject.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_license_is_an_spdx_string_not_a_table():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["project"]["license"] == "MIT"  # a table ({text = ...}) is deprecated: setuptools warns
    assert not any(c.startswith("License ::") for c in data["project"].get("classifiers", []))
    assert data["build-system"]["requires"][0] == "setuptools>=77"  # the first to read SPDX expressions
