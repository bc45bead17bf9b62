"""Validate hwsim against SCALE-Sim 3.0.0: same configs and topologies, every report column.

    python validation/validate_scalesim.py              # run SCALE-Sim on the cases, store the
                                                        # fixtures, compare hwsim column by column
    python validation/validate_scalesim.py --compare-only   # compare hwsim with stored fixtures
    python validation/validate_scalesim.py --random 50      # 50 random layers/arrays, not stored
    python validation/validate_scalesim.py --resnet18       # also SCALE-Sim's ResNet-18 on a 32x32 array
                                                            # (about 7 minutes of SCALE-Sim here)

SCALE-Sim runs in its own virtual environment (``--venv``, default ``runs/scalesim-venv``, an
ignored folder), created here when absent with ``pip install scalesim==3.0.0 "numpy<2.4"``; it is
driven through its Python API with ``save_disk_space=True`` (its command line writes hundreds of
MB of traces).  The fixtures land in ``tests/fixtures/scalesim/<case>/``: the ``.cfg``, topology
and layout files, and the three reports SCALE-Sim wrote, which ``tests/test_scalesim_fixtures.py``
compares with hwsim.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hwsim import HwsimError, read_report, read_scalesim_cfg, read_topology_csv, report_tables, simulate  # noqa: E402
from hwsim.scalesim.reports import REPORT_FILES  # noqa: E402

FIXTURES = REPO / "tests" / "fixtures" / "scalesim"
STUDY = REPO / "studies" / "scalesim"
RESNET18 = "resnet18_ws_32x32_calc"
CONV_HEADER = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,"
GEMM_HEADER = "Layer, M, N, K,"
LAYOUT_HEADER = ("Layer name, IFMAP Height Intraline Factor, IFMAP Width Intraline Factor, Filter Height Intraline "
                 "Factor, Filter Width Intraline Factor, Channel Intraline Factor, Num Filter Intraline Factor, IFMAP "
                 "Height Intraline Order, IFMAP Width Intraline Order, Channel Intraline Order, IFMAP Height "
                 "Interline Order, IFMAP Width Interline Order, Channel Interline Order, Num Filter Intraline Order, "
                 "Channel Intraline Order, Filter Height Intraline Order, Filter Width Intraline Order, Num Filter "
                 "Interline Order, Channel Interline Order, Filter Height Interline Order, Filter Width Interline "
                 "Order,")
# conv 3x3; strided 3x3 whose last window is partial (SCALE-Sim's ceil rule); strided 3x3; 1x1;
# strided 1x1; a depthwise row (SCALE-Sim expands it per channel); a fully connected row.
CONV_ROWS = ["conv3x3,10,10,3,3,4,10,1", "strided_ceil,12,12,3,3,3,12,2", "strided,11,11,3,3,6,8,2",
             "pointwise,8,8,1,1,16,20,1", "pointwise_s2,9,9,1,1,8,12,2", "DPdepthwise,8,8,3,3,3,1,1",
             "fc,1,1,1,1,40,12,1"]
GEMM_ROWS = ["gemm_a,20,12,40", "gemm_b,7,33,9"]
RUNNER = """
import sys, time
from scalesim.scale_sim import scalesim
cfg, topo, layout, out, gemm = sys.argv[1:6]
start, cpu = time.perf_counter(), time.process_time()
sim = scalesim(save_disk_space=True, verbose=False, config=cfg, topology=topo, layout=layout,
               input_type_gemm=gemm == "gemm")
sim.run_scale(top_path=out)
print(f"scalesim seconds {time.perf_counter() - start} cpu {time.process_time() - cpu}")
"""


@dataclass(frozen=True)
class Case:
    """One SCALE-Sim configuration and topology."""

    name: str
    dataflow: str
    rows: int
    cols: int
    sram_kb: tuple[int, int, int]
    mode: str = "CALC"
    bandwidth: int = 10
    fill_bandwidth: int = 10
    gemm: bool = False

    def cfg_text(self) -> str:
        """The case as a SCALE-Sim 3.0.0 .cfg file (every section its parser requires)."""
        return f"""[general]
run_name = {self.name}

[architecture_presets]
ArrayHeight: {self.rows}
ArrayWidth: {self.cols}
IfmapSramSzkB: {self.sram_kb[0]}
FilterSramSzkB: {self.sram_kb[1]}
OfmapSramSzkB: {self.sram_kb[2]}
IfmapOffset: 0
FilterOffset: 10000000
OfmapOffset: 20000000
Bandwidth: {self.bandwidth}
Dataflow: {self.dataflow}
ReadRequestBuffer: 32
WriteRequestBuffer: 32

[layout]
IfmapCustomLayout: False
FilterCustomLayout: False
IfmapSRAMBankBandwidth: {self.fill_bandwidth}
IfmapSRAMBankNum: 1
IfmapSRAMBankPort: 2
FilterSRAMBankBandwidth: {self.fill_bandwidth}
FilterSRAMBankNum: 1
FilterSRAMBankPort: 2

[sparsity]
SparsitySupport: false
SparseRep: ellpack_block
OptimizedMapping: false
BlockSize: 8
RandomNumberGeneratorSeed: 40

[run_presets]
InterfaceBandwidth: {self.mode}
UseRamulatorTrace: False
"""


CASES = [
    Case("ws_8x8_calc", "ws", 8, 8, (2, 2, 1)),
    Case("os_8x16_calc", "os", 8, 16, (2, 1, 1)),
    Case("is_16x8_calc", "is", 16, 8, (1, 2, 2)),
    Case("ws_8x12_user", "ws", 8, 12, (2, 2, 1), "USER", 4, 4),
    Case("os_8x8_user", "os", 8, 8, (1, 1, 1), "USER", 2, 2),
    Case("is_4x8_user", "is", 4, 8, (2, 1, 1), "USER", 3, 3),
    Case("gemm_ws_8x8_calc", "ws", 8, 8, (1, 1, 1), gemm=True),
    Case("gemm_os_16x8_user", "os", 16, 8, (1, 1, 1), "USER", 4, 4, gemm=True),
]


def ensure_venv(venv: Path) -> Path:
    """Python of a venv with SCALE-Sim 3.0.0, created when absent."""
    python = venv / "bin" / "python"
    if python.exists() and subprocess.run([python, "-c", "import scalesim"], capture_output=True).returncode == 0:
        return python
    print(f"creating {venv} with scalesim 3.0.0 ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([python, "-m", "pip", "install", "-q", "scalesim==3.0.0", "numpy<2.4"], check=True)
    return python


def write_inputs(case: Case, rows: list[str], folder: Path) -> tuple[Path, Path, Path]:
    """Write the case's cfg, topology and layout files into ``folder``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    cfg, topo, layout = folder / "scale.cfg", folder / "topology.csv", folder / "layout.csv"
    cfg.write_text(case.cfg_text())
    topo.write_text("\n".join([GEMM_HEADER if case.gemm else CONV_HEADER, *[r + "," for r in rows]]) + "\n")
    # SCALE-Sim always reads a layout file; with custom layouts off its values change nothing.
    # A DP row repeats once per "Channel Intraline Factor" (the 6th field), so put the channels there.
    layout_rows = [f"{r.split(',')[0]},1,1,1,1,{r.split(',')[5] if 'DP' in r else 1},1,1,2,0,4,5,3,3,0,1,2,7,4,5,6,"
                   for r in rows]
    layout.write_text("\n".join([LAYOUT_HEADER, *layout_rows]) + "\n")
    return cfg, topo, layout


def run_scalesim(python: Path, case: Case, cfg: Path, topo: Path, layout: Path, dest: Path) -> None:
    """Run SCALE-Sim on the case and copy its three reports into ``dest``."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([python, "-c", RUNNER, cfg, topo, layout, tmp, "gemm" if case.gemm else "conv"],
                       check=True, capture_output=True)
        for name in REPORT_FILES:
            shutil.copy(Path(tmp) / case.name / name, dest / name)


def resnet18_fixture(python: Path) -> None:
    """Run SCALE-Sim once on its ResNet-18 topology (32x32 ws, 64 KB, CALC) and store the fixture."""
    folder = FIXTURES / RESNET18
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(STUDY / "ws_32x32_64kb.cfg", folder / "scale.cfg")
    rows = (STUDY / "resnet18.csv").read_text().splitlines()
    (folder / "topology.csv").write_text("\n".join(rows) + "\n")
    layout = [f"{r.split(',')[0]},1,1,1,1,1,1,1,2,0,4,5,3,3,0,1,2,7,4,5,6," for r in rows[1:]]
    (folder / "layout.csv").write_text("\n".join([LAYOUT_HEADER, *layout]) + "\n")
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([python, "-c", RUNNER, folder / "scale.cfg", folder / "topology.csv",
                              folder / "layout.csv", tmp, "conv"], check=True, capture_output=True, text=True).stdout
        print(f"SCALE-Sim on ResNet-18: {out.strip()}")
        run = read_scalesim_cfg(folder / "scale.cfg").run_name
        for name in REPORT_FILES:
            shutil.copy(Path(tmp) / run / name, folder / name)


def compare(folder: Path, verbose: bool = True) -> int:
    """Compare hwsim with the SCALE-Sim reports in ``folder``; print per layer; return mismatches."""
    config = read_scalesim_cfg(folder / "scale.cfg", folder / "layout.csv")
    layers = read_topology_csv(folder / "topology.csv")
    ours = report_tables(simulate(layers, config))
    bad = 0
    for name in REPORT_FILES:
        theirs, mine = read_report(folder / name), ours[name]
        for col in theirs.columns[1:]:
            a, b = theirs[col].to_numpy(float), mine[col].to_numpy(float)
            wrong = ~np.isclose(a, b, rtol=1e-12, atol=0)
            for i in np.flatnonzero(wrong):
                print(f"  {folder.name} layer {i} ({layers[i].name}) {col}: SCALE-Sim {a[i]!r} hwsim {b[i]!r}")
            bad += int(wrong.sum())
    if verbose:
        compute = read_report(folder / "COMPUTE_REPORT.csv")
        detail = read_report(folder / "DETAILED_ACCESS_REPORT.csv")
        print(f"{folder.name}: {config.dataflow} {config.rows}x{config.cols} {config.bandwidth_mode.upper()}, "
              f"{len(layers)} layers, {'all columns identical' if bad == 0 else f'{bad} differences'}")
        for i, layer in enumerate(layers):
            print(f"  {layer.name:24s} cycles {compute['Total Cycles'][i]:>7} stalls {compute['Stall Cycles'][i]:>6}"
                  f"  SRAM if/fi/of {detail['SRAM IFMAP Reads'][i]:>6} {detail['SRAM Filter Reads'][i]:>6} "
                  f"{detail['SRAM OFMAP Writes'][i]:>6}  DRAM if/fi/of {detail['DRAM IFMAP Reads'][i]:>6} "
                  f"{detail['DRAM Filter Reads'][i]:>6} {detail['DRAM OFMAP Writes'][i]:>6}")
    return bad


def random_cases(python: Path, n: int, seed: int) -> int:
    """Compare hwsim and SCALE-Sim on ``n`` random one-layer cases; return the mismatch count."""
    rng = np.random.default_rng(seed)
    bad = 0
    for i in range(n):
        user = bool(rng.integers(2))
        bw = int(rng.integers(1, 13))
        case = Case(f"random_{i}", str(rng.choice(["ws", "os", "is"])), int(rng.integers(1, 33)),
                    int(rng.integers(1, 33)), tuple(int(v) for v in rng.integers(1, 5, size=3)),
                    "USER" if user else "CALC", bw, bw)
        if rng.random() < 0.2:  # fully connected
            row = f"layer,1,1,1,1,{int(rng.integers(1, 65))},{int(rng.integers(1, 41))},1"
        else:
            h = int(rng.integers(1, 17))
            r = int(rng.integers(1, min(h, 7) + 1))
            row = (f"layer,{h},{h},{r},{r},{int(rng.integers(1, 17))},{int(rng.integers(1, 41))},"
                   f"{int(rng.integers(1, 4))}")
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            cfg, topo, layout = write_inputs(case, [row], folder)
            try:
                run_scalesim(python, case, cfg, topo, layout, folder)
            except subprocess.CalledProcessError as exc:
                print(f"{case} {row}: SCALE-Sim failed ({exc.stderr.decode().strip().splitlines()[-1]})")
                continue
            try:
                n_bad = compare(folder, verbose=False)
            except HwsimError as exc:  # SCALE-Sim ran but hwsim refused: a difference
                print(f"{case} {row}: hwsim refused: {exc}")
                n_bad = 1
            print(f"{case.name}: {case.dataflow} {case.rows}x{case.cols} {case.mode} bw {bw} kb {case.sram_kb} "
                  f"[{row}]: {'ok' if n_bad == 0 else f'{n_bad} differences'}", flush=True)
            bad += n_bad
    return bad


def main() -> int:
    """Run the validation; exit status 1 when any figure differs."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--venv", type=Path, default=REPO / "runs" / "scalesim-venv")
    parser.add_argument("--compare-only", action="store_true", help="compare with the stored fixtures only")
    parser.add_argument("--random", type=int, default=0, help="also compare N random one-layer cases")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--resnet18", action="store_true", help="also run SCALE-Sim on ResNet-18 (minutes)")
    args = parser.parse_args()
    bad = 0
    if not args.compare_only:
        python = ensure_venv(args.venv)
        for case in CASES:
            folder = FIXTURES / case.name
            run_scalesim(python, case, *write_inputs(case, GEMM_ROWS if case.gemm else CONV_ROWS, folder), folder)
        if args.resnet18:
            resnet18_fixture(python)
    for folder in sorted(p for p in FIXTURES.iterdir() if (p / "scale.cfg").is_file()):
        bad += compare(folder)
    if args.random:
        bad += random_cases(ensure_venv(args.venv), args.random, args.seed)
    print("hwsim matches SCALE-Sim on every column" if bad == 0 else f"{bad} differences")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
