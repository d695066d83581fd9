"""The stored notebooks are what notebooks/make_notebooks.py writes from
notebooks/src/: a notebook edited by hand, or a source edited without
writing the notebook again, fails here."""

import importlib
import sys
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
SOURCES = sorted((NOTEBOOKS / "src").glob("n[0-9][0-9]_*.py"))
sys.path.insert(0, str(NOTEBOOKS / "src"))


@pytest.mark.parametrize("source", SOURCES, ids=lambda path: path.stem)
def test_notebook_is_written_from_its_source(source):
    module = importlib.import_module(source.stem)
    stored = nbformat.read(NOTEBOOKS / module.FILENAME, as_version=4)
    assert [(c.cell_type, c.source) for c in stored.cells] == [
        (c.cell_type, c.source) for c in module.CELLS
    ]


def test_every_notebook_has_a_source():
    written = {importlib.import_module(s.stem).FILENAME for s in SOURCES}
    assert written == {path.name for path in NOTEBOOKS.glob("*.ipynb")}
