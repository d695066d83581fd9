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
    """The complete rows of a history CSV: dicts of floats, or raw lists."""
    header = read_header(path)
    if not header:
        return []
    with open(path, newline="") as f:
        rows = list(csv.reader(f))[1:]
    # A row cut short by a kill has fewer fields; "NA" marks a missing value.
    return [
        row if raw else {key: _number(value) for key, value in zip(header, row)}
        for row in rows
        if len(row) == len(header) and row[0].isdigit()
    ]


def _number(value):
    try:
        return float(value)
    except ValueError:
        return float("nan")
