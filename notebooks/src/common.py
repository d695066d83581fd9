"""What every notebook generator shares: cell constructors, the Colab
badge and setup cell, and `write`."""

import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parents[1]  # notebooks/
REPO = "convnets-tf/convnets_tf"


def md(text, **blocks):
    """A markdown cell; each `{{name}}` in the dedented text becomes
    blocks[name], so multi-line inserts do not upset the dedent."""
    text = textwrap.dedent(text).strip("\n")
    for name, block in blocks.items():
        text = text.replace("{{" + name + "}}", block)
    return new_markdown_cell(text)


def code(text):
    return new_code_cell(textwrap.dedent(text).strip("\n"))


def badge(filename):
    url = f"https://colab.research.google.com/github/{REPO}/blob/main/notebooks/{filename}"
    return (
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url})"
    )


SETUP = code(
    f"""
    # Setup: on Colab, install convnets_tf from GitHub; elsewhere do nothing
    # (a local checkout has it installed with `pip install -e .`).
    import subprocess
    import sys

    if "google.colab" in sys.modules:
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q",
             "git+https://github.com/{REPO}"],
            check=True,
        )
    """
)

def imports(*families):
    """The import cell of a notebook that builds models from `families`,
    modules of convnets_tf.models."""
    return code(
        f"""
        import inspect
        import os

        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # fewer C++ start-up logs
        import keras
        import matplotlib.pyplot as plt
        import numpy as np
        import tensorflow as tf

        import convnets_tf
        from convnets_tf import build
        from convnets_tf.models import {", ".join(families)}

        print(f"TensorFlow {{tf.__version__}}, Keras {{keras.__version__}}, "
              f"convnets_tf {{convnets_tf.__version__}}")
        """
    )


def write(name, cells, keep_outputs=False):
    """Writes notebook `name`. With `keep_outputs`, code cells whose source is
    unchanged keep the outputs of the existing (executed) notebook, so that
    editing the text does not require executing it again."""
    nb = new_notebook(cells=cells)
    for i, cell in enumerate(nb.cells):
        cell.id = f"{Path(name).stem}-{i:02d}"
    if keep_outputs and (HERE / name).exists():
        old = {c.source: c for c in nbformat.read(HERE / name, as_version=4).cells
               if c.cell_type == "code"}
        for cell in nb.cells:
            if cell.cell_type == "code":
                if cell.source in old:
                    cell.outputs = old[cell.source].outputs
                    cell.execution_count = old[cell.source].execution_count
                else:
                    print(f"{name}: cell {cell.id} changed; execute the notebook again")
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        "accelerator": "GPU",
        "colab": {"provenance": []},
    }
    nbformat.validate(nb)
    nbformat.write(nb, HERE / name)
    print(f"wrote {HERE / name} ({len(cells)} cells)")
