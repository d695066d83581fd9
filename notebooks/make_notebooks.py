"""Writes the paper notebooks from their sources in notebooks/src/.

    python notebooks/make_notebooks.py          # every notebook, unexecuted
    python notebooks/make_notebooks.py 03 --keep-outputs   # text edits only
    cd notebooks && CONVNETS_TF_DATA=... jupyter nbconvert --to notebook \
        --execute --inplace --ExecutePreprocessor.timeout=1800 03-vgg.ipynb

Each notebook is one module, `src/nNN_name.py`, defining FILENAME and
CELLS: its text and code are reviewable as plain Python, and the stored
outputs come from executing the written notebook. Writing a notebook again
drops its outputs unless `--keep-outputs`.
"""

import importlib
import sys
from pathlib import Path

SOURCES = Path(__file__).resolve().parent / "src"
sys.path.insert(0, str(SOURCES))

from common import write  # noqa: E402


def main(argv):
    keep = "--keep-outputs" in argv
    numbers = [arg for arg in argv if arg != "--keep-outputs"]
    for source in sorted(SOURCES.glob("n[0-9][0-9]_*.py")):
        number = source.stem[1:3]
        if numbers and number not in numbers:
            continue
        notebook = importlib.import_module(source.stem)
        write(notebook.FILENAME, notebook.CELLS, keep)


if __name__ == "__main__":
    main(sys.argv[1:])
