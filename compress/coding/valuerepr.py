"""How a file writes its codebook values: plain float32, or the exact signed-digit form.

Every float32 value is a sum of signed powers of two; its canonical signed-digit form
(:mod:`compress.csd`) is the shortest such sum.  For codebooks made of short sums (WFN's candidates
are sums of at most order + 1 signed powers of two, Subia-Waud and Dasmahapatra, ECCV 2022) the
file states each value as its list of (sign, exponent) terms, so a hardware team reads the shift
amounts of a shift-add multiplier directly from the header; the value is their exact sum.
Otherwise the values are written as float32 numbers (JSON floats round-trip float32 exactly).
"""

from __future__ import annotations

import numpy as np

from compress.csd import csd_terms, from_csd
from compress.errors import CompressError

FLOAT32 = "float32"
SIGNED_DIGIT = "signed-digit"
FORMS = (FLOAT32, SIGNED_DIGIT)
AUTO = "auto"
# ``auto`` picks the signed-digit form when no value needs more terms than this: up to four
# shift-adds is what multiplier-free datapaths use (WFN order <= 3); longer lists read no easier
# than the float itself.
AUTO_MAX_TERMS = 4


def signed_digits(values: np.ndarray) -> list[list[tuple[int, int]]]:
    """Per value, its canonical signed-digit terms (sign +1/-1, exponent), most significant first."""
    signs, exps, counts = csd_terms(np.asarray(values, dtype=np.float64).reshape(-1))
    return [[(int(signs[i, t]), int(exps[i, t])) for t in range(counts[i])] for i in range(counts.size)]


def choose_form(values: np.ndarray, form: str = AUTO) -> str:
    """``form`` itself, or for ``auto`` the signed-digit form when every value has <= AUTO_MAX_TERMS terms."""
    if form not in (AUTO, *FORMS):
        raise CompressError(f"unknown value form {form!r}; choose one of {[AUTO, *FORMS]}")
    if form != AUTO:
        return form
    counts = csd_terms(np.asarray(values, dtype=np.float64).reshape(-1))[2]
    return SIGNED_DIGIT if counts.max(initial=0) <= AUTO_MAX_TERMS else FLOAT32


def values_to_json(values: np.ndarray, form: str = AUTO) -> dict:
    """The codebook (float32, shape (K,)) as a JSON-ready dict in ``form`` (``auto``, float32, signed-digit)."""
    v = np.asarray(values, dtype=np.float32).reshape(-1)
    form = choose_form(v, form)
    if form == FLOAT32:
        return {"form": FLOAT32, "values": [float(x) for x in v]}
    return {"form": SIGNED_DIGIT, "terms": [[list(t) for t in terms] for terms in signed_digits(v)]}


def _terms_value(terms: object, i: int) -> float:
    """The exact value of one list of [sign, exponent] pairs."""
    if not isinstance(terms, list) or not all(
        isinstance(t, list) and len(t) == 2 and t[0] in (1, -1) and isinstance(t[1], int)
        and not isinstance(t[1], bool) and -1100 < t[1] < 1100 for t in terms
    ):
        raise CompressError(f"codebook value {i}: terms must be a list of [sign (+1/-1), exponent] pairs, got {terms!r}")
    if not terms:
        return 0.0
    s = np.array([t[0] for t in terms], dtype=np.int8)
    e = np.array([t[1] for t in terms], dtype=np.int32)
    return float(from_csd(s, e))


def values_from_json(obj: dict, where: str | None = None) -> np.ndarray:
    """Shape (K,) float32: the codebook written by :func:`values_to_json` (validated, exact);
    errors start with ``where`` (e.g. the file's name) when given."""
    try:
        return _values_from_json(obj)
    except CompressError as exc:
        if where is None:
            raise
        raise CompressError(f"{where}: {exc}") from None


def _values_from_json(obj: dict) -> np.ndarray:
    form = obj.get("form") if isinstance(obj, dict) else None
    if form == FLOAT32:
        raw = obj.get("values")
        if not isinstance(raw, list) or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in raw):
            raise CompressError("codebook 'values' must be a list of numbers")
        try:
            v64 = np.array(raw, dtype=np.float64)
        except OverflowError:
            raise CompressError("codebook 'values' holds an integer too large for a float") from None
    elif form == SIGNED_DIGIT:
        raw = obj.get("terms")
        if not isinstance(raw, list):
            raise CompressError("codebook 'terms' must be a list (one list of terms per value)")
        v64 = np.array([_terms_value(t, i) for i, t in enumerate(raw)], dtype=np.float64)
    else:
        raise CompressError(f"codebook form {form!r} is unknown; this reader knows {list(FORMS)}")
    with np.errstate(over="ignore"):
        v32 = v64.astype(np.float32)
    if not np.isfinite(v32).all() or not np.array_equal(v32.astype(np.float64), v64):
        raise CompressError("codebook values are not finite float32 numbers; the file is damaged")
    return v32
