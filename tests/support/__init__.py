"""Helpers shared by test modules and benchmarks, imported as modules (never ``from conftest``)."""

from pathlib import Path

#: The repository's root folder.
ROOT = Path(__file__).resolve().parents[2]
