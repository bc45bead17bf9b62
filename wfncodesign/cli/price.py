"""``wfncodesign price``: the energy of one multiply by each value on a datapath (pJ).

Example: ``wfncodesign price --datapath shift_add --values 0.5,0.375,-0.125 --bits 8`` prints each
value, its canonical signed-digit form and term count, its price, and the int/fp mac price of the
same width beside it.
"""

from __future__ import annotations

import argparse
import math
from typing import TYPE_CHECKING

import numpy as np

from compress.csd import csd_string
from hwsim.synth.adders import FORMS
from wfncodesign.cli.common import print_table
from wfncodesign.cli.hwargs import add_datapath_args, datapath_from_args, table_from_args
from wfncodesign.costsource import SOURCES
from wfncodesign.errors import WfnError

# hwsim's pricing (numba) and pandas are imported by the functions that price, so that --help
# starts at once.
if TYPE_CHECKING:
    import pandas as pd

    from hwsim.energy.datapath import Datapath


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("price",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--values", required=True, help="comma-separated values, e.g. 0.5,0.375,-0.125")
    add_datapath_args(p)
    p.add_argument("--lut-reuse", type=float, default=None,
                   help="lut: multiplies served by one activation's product table (adds the table build)")
    p.add_argument("--group-size", type=float, default=None,
                   help="factorised: activations per distinct weight per output (adds the shared multiply)")
    p.add_argument("--cost-source", default="table", choices=SOURCES,
                   help="table: op counts x technology table; synth: each value's shift-add multiplier "
                        "synthesised by Yosys (the synth extra) and simulated gate by gate (shift_add)")
    p.add_argument("--form", default="csd", choices=FORMS,
                   help="synth: the multiplier written as its CSD chain, the fewest-adder graph, or x * c")
    p.add_argument("--activations", default=None, metavar="FILE.npy",
                   help="synth: activations to simulate on (a .npy array of real numbers; default uniform)")
    p.set_defaults(func=run)


def parse_values(text: str) -> np.ndarray:
    """The comma-separated numbers of ``text`` as float64 (WfnError naming a bad one)."""
    out = []
    for item in text.split(","):
        try:
            out.append(float(item))
        except ValueError:
            raise WfnError(f"--values: {item.strip()!r} is not a number; give numbers separated by commas") from None
    return np.array(out)


def price_table(values: np.ndarray, dp: Datapath, table, lut_reuse: float | None = None,
                group_size: float | None = None) -> pd.DataFrame:
    """One row per value: signed-digit form and terms, pJ per multiply on ``dp`` and on a mac."""
    import pandas as pd

    from hwsim.energy.datapath import Datapath, price
    from hwsim.workload.kernels import signed_digit_count

    p = price(values, dp, table=table, lut_reuse=lut_reuse, group_size=group_size)
    mac = Datapath("mac", dp.bits, dp.number, dp.acc_bits, dp.gate_zero_weights)
    p_mac = price(values, mac, table=table)
    return pd.DataFrame({
        "value": values, "csd": [csd_string(v) for v in values], "terms": signed_digit_count(values),
        "pJ": p, f"{mac.label}_pJ": p_mac, "vs_mac": np.divide(p, p_mac, out=np.zeros_like(p), where=p_mac > 0),
    })


def synth_table(values: np.ndarray, dp: Datapath, table, form: str, activations: np.ndarray | None) -> pd.DataFrame:
    """One row per value: CSD, circuit size and switching energy from synthesis, the table price beside."""
    import pandas as pd

    from hwsim.energy.datapath import Datapath, price
    from hwsim.synth.prices import SynthConfig, synth_prices

    if dp.kind != "shift_add" or dp.number != "int":
        raise WfnError(f"--cost-source synth prices the shift_add datapath, not {dp.label}; add --datapath shift_add")
    result = synth_prices(values, activations, SynthConfig(bits=dp.bits, acc_bits=dp.accumulator_bits, form=form,
                                                           table=table))
    df = result.table.drop(columns=["mantissa", "shift"])
    df.insert(1, "csd", [csd_string(v) for v in values])
    df["table_pJ"] = price(values, dp, table=table)
    mac = Datapath("mac", dp.bits, acc_bits=dp.acc_bits)
    row = {"value": math.nan, "csd": f"{mac.label} MAC", "terms": 0, "adders": 0, **result.mac,
           "table_pJ": float(price(np.array([1.0]), mac, table=table)[0])}
    return pd.concat([df, pd.DataFrame([row])], ignore_index=True)


def _activations(path: str | None) -> np.ndarray | None:
    if path is None:
        return None
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise WfnError(f"--activations {path}: cannot read a .npy array ({exc}); save one with numpy.save") from None


def run(args: argparse.Namespace) -> int:
    values = parse_values(args.values)
    dp = datapath_from_args(args)
    table = table_from_args(args)
    if args.cost_source == "synth":
        from hwsim.synth.cells import default_library

        df = synth_table(values, dp, table, args.form, _activations(args.activations))
        kinds = df.pop("cell_kinds")
        print_table(df, f"synthesised price of one multiply-accumulate on {dp.label} (acc {dp.accumulator_bits} bits), "
                        f"{args.form} form, energy per toggle calibrated to {table.name}'s int{dp.bits} multiply; "
                        f"area in gate equivalents ({default_library().source})")
        print("\ncells by kind: " + "; ".join(f"{c}: {k}" for c, k in zip(df["csd"], kinds) if k))
        return 0
    df = price_table(values, dp, table, args.lut_reuse, args.group_size)
    print_table(df, f"price of one multiply on {dp.name} (acc {dp.accumulator_bits} bits), table {table.name}")
    if dp.spec.shared is not None and args.lut_reuse is None and args.group_size is None:
        print("(marginal price: the shared table build / group multiply is spread over its uses by "
              "--lut-reuse / --group-size, and counted in full by `wfncodesign energy`)")
    return 0
