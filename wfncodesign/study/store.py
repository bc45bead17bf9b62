"""The results table of a study: one JSON line per finished trial in ``results.jsonl``, appended.

Each row is appended as one line and fsynced before the next trial's row, so a study costs one
short write per trial (not a rewrite of the whole table) and a kill at any moment leaves at most
a torn last line, which reading ignores and the next append cuts off.  ``results.parquet`` and
``results.csv`` are exports of the table, written atomically when a run ends (or stops).  A trial
is identified by its ``trial_id``: its last row is the one that counts, so a failed trial that
reruns is replaced by its new row.  A folder from before the log (only ``results.parquet``) is
read as it is and its rows copied into the log at the first append.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from compress.fileio import atomic_write, atomic_write_text
from wfncodesign.errors import WfnError

RESULTS_LOG = "results.jsonl"
RESULTS_PARQUET = "results.parquet"
RESULTS_CSV = "results.csv"


class ResultStore:
    """Reads and appends the rows of ``<folder>/results.jsonl`` (and exports them as parquet/csv)."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.log = self.folder / RESULTS_LOG
        self.path = self.folder / RESULTS_PARQUET

    def rows(self) -> list[dict[str, Any]]:
        """Every row in the order written (a trial's later rows after its earlier ones)."""
        if self.log.is_file():
            return _read_log(self.log)
        if self.path.is_file():
            return _read_parquet(self.path).to_dict("records")
        return []

    def load(self) -> pd.DataFrame:
        """One row per trial, its last (an empty DataFrame before the first trial)."""
        rows = self.rows()
        if not rows:
            return pd.DataFrame()
        df = pd.DataFrame(rows)
        return df.drop_duplicates("trial_id", keep="last").reset_index(drop=True)

    def completed_ids(self) -> set[str]:
        """Ids of the trials whose last row says they finished without error."""
        df = self.load()
        if df.empty:
            return set()
        return set(df.loc[df["status"] == "ok", "trial_id"])

    def append(self, row: dict[str, Any]) -> None:
        """Add ``row`` as one line of the log, on disk (fsynced) before this returns."""
        if not self.log.is_file() and self.path.is_file():  # an older study's table: copy it into the log
            old = _read_parquet(self.path).to_dict("records")
            atomic_write_text(self.log, "".join(_line(r) for r in old))
        _cut_torn_tail(self.log)
        with open(self.log, "ab") as fh:
            fh.write(_line(_flatten(row)).encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())

    def export(self) -> pd.DataFrame:
        """Write ``results.parquet`` and ``results.csv`` (atomically) from the log; return the table."""
        df = self.load()
        if df.empty:
            return df
        df = _parquet_safe(df)
        atomic_write(self.path, lambda fh: df.to_parquet(fh, index=False))
        atomic_write_text(self.folder / RESULTS_CSV, df.to_csv(index=False))
        return df


def _json_value(v: Any) -> Any:
    """What json cannot write itself: numpy scalars as Python numbers, anything else as text."""
    return v.item() if isinstance(v, np.generic) else str(v)


def _line(row: dict[str, Any]) -> str:
    """One row as one line of JSON (NaN as null: pandas reads both as missing)."""
    clean = {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}
    return json.dumps(clean, default=_json_value, allow_nan=True) + "\n"


def _read_log(path: Path) -> list[dict[str, Any]]:
    """The rows of a log; a last line without its newline (a write cut short) is not a row yet."""
    data = path.read_bytes()
    lines = data.split(b"\n")
    complete = lines[:-1]  # after the last newline: empty, or a torn row
    rows = []
    for i, line in enumerate(complete, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            row = None
        if not isinstance(row, dict) or "trial_id" not in row:
            raise WfnError(f"{path}, line {i}: not a results row; the file was edited or damaged. Remove that "
                           "line (its trial reruns) or move the file away to start the study afresh")
        rows.append(row)
    return rows


def _cut_torn_tail(path: Path) -> None:
    """Truncate the log after its last newline: drop a row a killed run left half written."""
    if not path.is_file():
        return
    size = path.stat().st_size
    if size == 0:
        return
    with open(path, "rb+") as fh:
        tail = b""
        pos = size
        while pos > 0 and b"\n" not in tail:
            step = min(4096, pos)
            pos -= step
            fh.seek(pos)
            tail = fh.read(step) + tail
        end = pos + tail.rfind(b"\n") + 1 if b"\n" in tail else 0
        if end != size:
            fh.truncate(end)
            fh.flush()
            os.fsync(fh.fileno())


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise WfnError(
            f"{path}: cannot read the results table ({exc}); restore it from results.csv "
            "or move it away to start the study afresh"
        ) from exc


def _flatten(row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in row.items():
        if isinstance(v, (dict, list, tuple)):
            out[k] = json.dumps(v, sort_keys=True, default=str)
        else:
            out[k] = v
    return out


def _parquet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Columns of mixed Python types (a setting that is a number in one method, text in another)
    become text, so that parquet can store them."""
    df = df.copy()
    for col in df.columns:
        if df[col].dtype == object:
            kinds = {type(v) for v in df[col].dropna()}
            if len(kinds) > 1:
                df[col] = df[col].map(lambda v: v if v is None or (isinstance(v, float) and v != v) else str(v))
    return df
