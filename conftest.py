"""Shared pytest set-up for the unit tests and the nbval notebook runs."""

import os

import pytest

# Measured on the 2-core CI machine: with oneDNN's CPU kernels a test worker
# kept about 0.7 GB for every large model it had trained and freed, and two
# workers ran out of 23 GB; without them, memory returns to 0.7 GB after each
# model, at about 1.3x the time on the largest ResNets. TensorFlow reads the
# switch when it is imported, here before any test module or notebook kernel.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


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
