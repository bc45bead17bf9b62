"""Gate netlists from Yosys' JSON (``write_json``): cells in evaluation order, as flat arrays.

Yosys numbers every wire bit (2, 3, ...) and writes constants as ``"0"``, ``"1"`` (and ``"x"``,
``"z"``, read here as 0).  Net 0 is constant 0 and net 1 constant 1.  The cells are Yosys' internal
gates (``$_AND_``, ``$_NAND_``, ``$_OR_``, ``$_NOR_``, ``$_XOR_``, ``$_XNOR_``, ``$_MUX_``, ``$_NOT_``,
``$_BUF_``, ``$_ANDNOT_``, ``$_ORNOT_``), which ``abc -g`` maps to; a netlist with flip-flops or
other cells is refused (the simulator evaluates combinational logic only).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from hwsim.errors import HwsimError

# Op codes of the gate simulator; MUX is Y = S ? B : A (Yosys' $_MUX_).
OPS = {"$_NOT_": 0, "$_BUF_": 1, "$_AND_": 2, "$_NAND_": 3, "$_OR_": 4, "$_NOR_": 5, "$_XOR_": 6,
       "$_XNOR_": 7, "$_MUX_": 8, "$_ANDNOT_": 9, "$_ORNOT_": 10}
KIND_OF = {code: name.strip("$_") for name, code in OPS.items()}  # 0 -> "NOT", ...
_CONST = {"0": 0, "1": 1, "x": 0, "z": 0}


@dataclass(frozen=True)
class Port:
    """A module port: its net per bit (least significant first) and whether it is signed."""

    bits: tuple[int, ...]
    signed: bool
    output: bool


@dataclass(frozen=True)
class Netlist:
    """A combinational gate netlist: ``op``/``a``/``b``/``s``/``y`` (n_cells,) int32 in evaluation order."""

    name: str
    n_nets: int
    op: np.ndarray
    a: np.ndarray
    b: np.ndarray
    s: np.ndarray
    y: np.ndarray
    ports: dict[str, Port] = field(default_factory=dict)

    @property
    def n_cells(self) -> int:
        """Number of gates."""
        return int(self.op.size)

    def cell_counts(self) -> dict[str, int]:
        """Gates by kind (``AND``, ``NAND``, ..., ``NOT``), most common first."""
        return dict(Counter(KIND_OF[int(c)] for c in self.op).most_common())

    def port(self, name: str) -> Port:
        """The port ``name`` (HwsimError listing the ports when there is none)."""
        if name not in self.ports:
            raise HwsimError(f"netlist {self.name} has no port {name!r}; ports: {sorted(self.ports)}")
        return self.ports[name]


def _net(bit) -> int:
    if isinstance(bit, int):
        return bit
    if bit in _CONST:
        return _CONST[bit]
    raise HwsimError(f"unexpected net {bit!r} in a Yosys netlist; expected a bit number or 0/1/x/z")


def _one(conn: dict, pin: str, cell: str) -> int:
    bits = conn.get(pin)
    if bits is None or len(bits) != 1:
        raise HwsimError(f"cell {cell}: pin {pin} should have one bit, got {bits!r}")
    return _net(bits[0])


def parse_json(text: str, top: str | None = None) -> Netlist:
    """The netlist of module ``top`` (the only module when None) in Yosys JSON ``text``."""
    modules = json.loads(text).get("modules", {})
    if top is None:
        if len(modules) != 1:
            raise HwsimError(f"the netlist holds modules {sorted(modules)}; name the one to read")
        top = next(iter(modules))
    if top not in modules:
        raise HwsimError(f"module {top!r} is not in the netlist; modules: {sorted(modules)}")
    mod = modules[top]
    ports = {name: Port(tuple(_net(b) for b in p["bits"]), bool(p.get("signed", 0)), p["direction"] == "output")
             for name, p in mod["ports"].items()}
    rows = []
    for cname, cell in mod.get("cells", {}).items():
        kind = cell["type"]
        if kind not in OPS:
            raise HwsimError(f"cell {cname} is a {kind}; only combinational gates {sorted(OPS)} are simulated "
                             "(map with abc -g and keep the design free of flip-flops)")
        conn = cell["connections"]
        a = _one(conn, "A", cname)
        b = _one(conn, "B", cname) if "B" in conn else 0
        s = _one(conn, "S", cname) if "S" in conn else 0
        rows.append((OPS[kind], a, b, s, _one(conn, "Y", cname)))
    n_nets = 2 + max([0] + [max(r[1:]) for r in rows] + [max(p.bits, default=0) for p in ports.values()])
    order = _topological(rows, n_nets)
    arr = np.array([rows[i] for i in order], dtype=np.int32).reshape(-1, 5)
    return Netlist(top, n_nets, arr[:, 0].copy(), arr[:, 1].copy(), arr[:, 2].copy(), arr[:, 3].copy(),
                   arr[:, 4].copy(), ports)


def _inputs_of(row: tuple[int, ...]) -> tuple[int, ...]:
    op, a, b, s, _ = row
    return (a,) if op <= 1 else (a, b, s) if op == OPS["$_MUX_"] else (a, b)


def _topological(rows: list[tuple[int, ...]], n_nets: int) -> list[int]:
    """Cell indices so that every cell comes after the cells driving its inputs (Kahn)."""
    driver = np.full(n_nets, -1, dtype=np.int64)
    for i, r in enumerate(rows):
        if driver[r[4]] >= 0:
            raise HwsimError(f"net {r[4]} has two drivers; the netlist is not a gate network")
        driver[r[4]] = i
    waiting = [0] * len(rows)
    users: list[list[int]] = [[] for _ in rows]
    for i, r in enumerate(rows):
        for n in set(_inputs_of(r)):
            d = int(driver[n])
            if d >= 0:
                waiting[i] += 1
                users[d].append(i)
    ready = [i for i, w in enumerate(waiting) if w == 0]
    order = []
    while ready:
        i = ready.pop()
        order.append(i)
        for u in users[i]:
            waiting[u] -= 1
            if waiting[u] == 0:
                ready.append(u)
    if len(order) != len(rows):
        raise HwsimError("the netlist has a combinational loop; it cannot be evaluated gate by gate")
    return order
