"""Shared pytest set-up for the unit tests and the nbval notebook runs."""

import os

import pytest

# Measured on the 2-core CI machine: with oneDNN's CPU kernels, a process
# that trained and freed ResNet-152, VGG-16, ResNeXt-101 and Inception-v4 in
# turn still held 5.4 GB, and two test workers ran out of 23 GB; without
# them it held 0.67 GB, and four eager training steps took 1.1x (Inception-v4)
# to 1.6x (ResNeXt-101) as long.
# TensorFlow reads the switch on import, so it is set before any test
# module or notebook kernel imports it.
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
