"""Reading SCALE-Sim's CSV inputs (topology and layout files): rows and integer columns.

SCALE-Sim 3.0.0 reads these files line by line, splitting on commas and dropping the last field
(every row ends with a comma); here the trailing comma is optional, ``#`` starts a comment, and
every malformed value raises :class:`~hwsim.errors.HwsimError` naming the file, line and column.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Sequence

from hwsim.errors import HwsimError
from hwsim.textfile import read_text


def csv_rows(path: Path) -> list[tuple[int, list[str]]]:
    """Non-empty rows of a SCALE-Sim CSV as (line number, stripped fields); comments after '#' dropped."""
    rows = []
    for lineno, line in enumerate(read_text(path, "CSV file").splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        fields = [f.strip() for f in next(csv.reader([line]))]
        while fields and fields[-1] == "":  # SCALE-Sim rows end with a comma
            fields.pop()
        rows.append((lineno, fields))
    if not rows:
        raise HwsimError(f"{path}: empty file; expected a header line and one row per layer")
    return rows


def row_ints(path: Path, lineno: int, fields: list[str], names: Sequence[str], minimum: int = 1) -> list[int]:
    """Parse ``fields`` (after the layer name) as ints >= ``minimum``, naming the file, line and column."""
    values = []
    for name, text in zip(names, fields):
        if not re.fullmatch(r"[+]?\d+", text) or int(text) < minimum:
            raise HwsimError(f"{path}, line {lineno}: column {name!r} must be an integer >= {minimum}, "
                             f"got {text!r}")
        values.append(int(text))
    return values
