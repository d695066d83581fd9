"""Every notebook is a jupytext pair: notebooks/NN-name.py, the percent
script people review and edit, and notebooks/NN-name.ipynb, the same cells
with their stored outputs. A script edited without updating its notebook,
or a notebook edited without updating its script, fails here.

After editing a script, `jupytext --to ipynb --update notebooks/NN-name.py`
writes its cells into the notebook and keeps the stored outputs of the cells
it matches; execute every code cell you changed again (see the README).
"""

import re
from pathlib import Path

import jupytext
import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
SCRIPTS = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.py"))
STORED = sorted(NOTEBOOKS.glob("*.ipynb"))


def cells(notebook):
    return [(cell.cell_type, cell.source) for cell in notebook.cells]


def test_every_notebook_has_its_pair():
    assert STORED, "no notebooks found"
    assert [p.stem for p in SCRIPTS] == [p.stem for p in STORED], (
        "each notebooks/NN-name.ipynb needs notebooks/NN-name.py and the other way round; "
        "create the missing one with `jupytext --sync notebooks/NN-name.ipynb` (or .py)"
    )


def test_pairing_config():
    config = (NOTEBOOKS / "jupytext.toml").read_text()
    assert re.search(r'^formats = "ipynb,py:percent"$', config, re.M)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.stem)
def test_script_and_notebook_agree(script):
    text = jupytext.read(script, fmt="py:percent")
    stored = nbformat.read(script.with_suffix(".ipynb"), as_version=4)
    ours, theirs = cells(text), cells(stored)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a == b, (
            f"cell {i} differs between {script.name} and its .ipynb; run "
            f"`jupytext --to ipynb --update notebooks/{script.name}` "
            f"(or `jupytext --to py:percent` from the .ipynb if that is the edited one)"
        )
    assert len(ours) == len(theirs), f"{script.name}: {len(ours)} cells, .ipynb {len(theirs)}"


@pytest.mark.parametrize("path", STORED, ids=lambda path: path.stem)
def test_stored_outputs_have_no_stderr(path):
    notebook = nbformat.read(path, as_version=4)
    noisy = [
        i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream" and output.name == "stderr"
    ]
    assert not noisy, f"{path.name}: stderr output stored in cells {noisy}"


def test_links_between_notebooks():
    """Relative links to notebooks resolve, and each notebook links to the
    previous and the next one."""
    names = [p.name for p in STORED]
    for i, path in enumerate(STORED):
        text = "\n".join(
            c.source for c in nbformat.read(path, as_version=4).cells
            if c.cell_type == "markdown"
        )
        links = set(re.findall(r"\]\(([0-9][0-9]-[^)#]+\.ipynb)\)", text))
        assert links <= set(names), f"{path.name} links to missing {links - set(names)}"
        if i > 0:
            assert names[i - 1] in links, f"{path.name} has no link back to {names[i - 1]}"
        if i + 1 < len(names):
            assert names[i + 1] in links, f"{path.name} has no link on to {names[i + 1]}"
