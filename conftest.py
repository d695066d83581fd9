"""Shared pytest set-up for the unit tests and the nbval notebook runs."""

import pytest


def pytest_itemcollected(item):
    notebook = item.parent
    if not hasattr(notebook, "skip_compare"):
        return
    # TensorFlow writes start-up logs to stderr that differ between
    # machines; notebooks are compared on what they print and display.
    if "stderr" not in notebook.skip_compare:
        notebook.skip_compare = (*notebook.skip_compare, "stderr")
    # A notebook's cells share one kernel: with `-n 2 --dist loadgroup` they
    # must stay on one worker, while the other tests spread out one by one.
    item.add_marker(pytest.mark.xdist_group(notebook.nodeid))
