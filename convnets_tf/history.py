"""Reading the `history.csv` that training appends one row per epoch to."""

import csv
import os


def read_header(path):
    """The header row of a history CSV, or None if there is none."""
    if not os.path.exists(path):
        return None
    with open(path, newline="") as f:
        return next(csv.reader(f), None)


def read_rows(path, raw=False):
    """The complete rows of a history CSV: dicts of floats, or raw lists.

    A row cut short by a kill during writing is skipped.
    """
    header = read_header(path)
    if not header:
        return []
    with open(path, newline="") as f:
        rows = list(csv.reader(f))[1:]
    complete = []
    for row in rows:
        try:
            values = [float(v) for v in row]
        except ValueError:
            continue
        if len(row) == len(header):
            complete.append(row if raw else dict(zip(header, values)))
    return complete
