"""Writing files so that a kill at any moment leaves the old or the new one."""

import os
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path):
    """Yields a temporary path beside `path` to write to; when the block
    ends without error, renames it over `path` in one atomic step.

    A kill during the write leaves `path` as it was (and a stray temporary
    file that the next write replaces). The temporary name keeps `path`'s
    ending, which Keras and Matplotlib read the format from.
    """
    path = Path(path)
    partial = path.with_name(f"partial.{path.name}")
    try:
        yield partial
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
