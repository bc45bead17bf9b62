"""Physical timing under a limited DRAM bandwidth: SimPy processes for loads, compute and drains.

One layer runs its folds in SCALE-Sim's order on a double-buffered machine (the double-buffered
scratchpads of SCALE-Sim's ``double_buffered_scratchpad``, at tile rather than address level):

- a *loader* brings each fold's input tile (IFMAP, FILTER and partial-sum words of
  :class:`~hwsim.array.traffic.FoldTraffic`) from DRAM into the free half of the input scratchpads;
  it can run one fold ahead of the array, no further (two halves);
- the *array* starts a fold when its tile is in and the previous fold is done, and computes for
  the fold's cycles (:func:`hwsim.array.systolic.fold_cycles`), so that with no DRAM traffic a layer
  takes exactly its compute cycles;
- a *drainer* writes each fold's outputs from the OFMAP scratchpad to DRAM; the array waits
  when both OFMAP halves are still draining.

Loads and drains share one DRAM channel (a ``simpy.Resource``) moving ``bandwidth`` words per
cycle, so a transfer of ``w`` words holds it ``ceil(w / bandwidth)`` cycles: the layer can never
finish before ``total words / bandwidth`` cycles, and bandwidth-bound layers show stalls.  Unlike
SCALE-Sim, the first tile's load is not free: it counts as a stall.
"""

from __future__ import annotations

import math

import numpy as np
import simpy

from hwsim.errors import HwsimError


def layer_cycles(compute: np.ndarray, loads: np.ndarray, stores: np.ndarray, bandwidth: float,
                 groups: int = 1) -> int:
    """Cycles from the first load to the last drain of one layer (its folds run ``groups`` times).

    ``compute``, ``loads`` and ``stores`` give each fold's compute cycles and the words it loads
    before and drains after it.
    """
    if not (isinstance(bandwidth, (int, float)) and math.isfinite(bandwidth) and bandwidth > 0):
        raise HwsimError(f"DRAM bandwidth must be a positive number of words per cycle, got {bandwidth!r}")
    if not len(compute) == len(loads) == len(stores):
        raise HwsimError("compute, loads and stores need one entry per fold")
    compute = [int(c) for c in compute]
    load_cycles = [math.ceil(int(w) / bandwidth) for w in loads]
    store_cycles = [math.ceil(int(w) / bandwidth) for w in stores]
    env = simpy.Environment()
    dram = simpy.Resource(env, capacity=1)
    free_inputs = simpy.Container(env, capacity=2, init=2)
    free_outputs = simpy.Container(env, capacity=2, init=2)
    ready = simpy.Store(env)
    to_drain = simpy.Store(env)
    schedule = [f for _ in range(groups) for f in range(len(compute))]

    def transfer(duration: int):
        with dram.request() as request:
            yield request
            yield env.timeout(duration)

    def loader():
        for f in schedule:
            yield free_inputs.get(1)
            if load_cycles[f]:
                yield env.process(transfer(load_cycles[f]))
            yield ready.put(f)

    def array():
        for _ in schedule:
            f = yield ready.get()
            yield env.timeout(compute[f])
            yield free_inputs.put(1)
            if store_cycles[f]:
                yield free_outputs.get(1)
                yield to_drain.put(store_cycles[f])

    def drainer(n_drains: int):
        for _ in range(n_drains):
            duration = yield to_drain.get()
            yield env.process(transfer(duration))
            yield free_outputs.put(1)

    env.process(loader())
    env.process(array())
    env.process(drainer(groups * sum(1 for c in store_cycles if c)))
    env.run()
    return int(env.now)
