"""Shared pytest set-up for the unit tests and the nbval notebook runs."""


def pytest_collection_modifyitems(items):
    # TensorFlow writes start-up logs to stderr that differ between machines;
    # notebooks are compared on what they print and display, not on those.
    for item in items:
        notebook = item.parent
        if hasattr(notebook, "skip_compare") and "stderr" not in notebook.skip_compare:
            notebook.skip_compare = (*notebook.skip_compare, "stderr")
