"""The results table of a study: one row per trial in ``results.parquet`` (and ``results.csv``).

Rows are written as each trial finishes, atomically (a stopped study never leaves a torn file), by
the one process that schedules trials.  A trial is identified by its ``trial_id``; a completed trial
(``status == "ok"``) is never run again, and a failed one (``status == "error"``, with its error
message) is replaced by its new row when the study is resumed and the trial reruns.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from compress.fileio import atomic_write, atomic_write_text
from wfncodesign.errors import WfnError

RESULTS_PARQUET = "results.parquet"
RESULTS_CSV = "results.csv"


class ResultStore:
    """Reads and appends the rows of ``<folder>/results.parquet``."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.path = self.folder / RESULTS_PARQUET

    def load(self) -> pd.DataFrame:
        """All rows so far (an empty DataFrame before the first trial)."""
        if not self.path.is_file():
            return pd.DataFrame()
        try:
            return pd.read_parquet(self.path)
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise WfnError(
                f"{self.path}: cannot read the results table ({exc}); restore it from results.csv "
                "or move it away to start the study afresh"
            ) from exc

    def completed_ids(self) -> set[str]:
        """Ids of the trials that finished without error."""
        df = self.load()
        if df.empty:
            return set()
        return set(df.loc[df["status"] == "ok", "trial_id"])

    def append(self, row: dict[str, Any]) -> pd.DataFrame:
        """Add ``row`` (replacing an earlier row of the same trial_id); write both files; return all rows."""
        df = self.load()
        if not df.empty:
            df = df[df["trial_id"] != row["trial_id"]]
        new = pd.DataFrame([_flatten(row)])
        df = new if df.empty else pd.concat([df, new], ignore_index=True)
        df = _parquet_safe(df)
        atomic_write(self.path, lambda fh: df.to_parquet(fh, index=False))
        atomic_write_text(self.folder / RESULTS_CSV, df.to_csv(index=False))
        return df


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
