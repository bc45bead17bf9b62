"""Studies under hostile use: bad limits and repeated trials refused, a folder owned by one run
(a lock; stale locks taken over), another study's folder refused, workers that die with their
parent, and a results log that appends and survives being killed mid-write."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from wfncodesign.cli import main
from wfncodesign.errors import WfnError
from wfncodesign.study import runner
from wfncodesign.study.config import expand_trials, load_study, parse_study
from wfncodesign.study.lock import LOCK_NAME, LockOwner, StudyLock
from wfncodesign.study.store import RESULTS_LOG, ResultStore

REPO = Path(__file__).resolve().parents[1]
STUDY = ('name = "{name}"\ndataset = "mnist-subset"\nseeds = {seeds}\n[[models]]\nname = "mlp"\nepochs = 1\n'
         '[[methods]]\nmethod = "kmeans"\ngrid = {{ k = {k} }}\n[hardware]\ndatapaths = ["mac"]\n')


def study_file(path: Path, name: str = "s", seeds: str = "[0]", k: str = "[4]") -> Path:
    path.write_text(STUDY.format(name=name, seeds=seeds, k=k))
    return path


def one_line_error(capsys, argv, *needles) -> str:
    assert main([str(a) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert all(n in err for n in needles), err
    return err


def dead_pid() -> int:
    """The PID of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


# -- definitions -----------------------------------------------------------------------------------
def test_a_negative_limit_is_refused(tmp_path, capsys):
    study = study_file(tmp_path / "s.toml")
    one_line_error(capsys, ["study", "run", study, "--out", tmp_path / "o", "--limit", "-1"], "--limit -1")
    one_line_error(capsys, ["study", "run", study, "--out", tmp_path / "o", "--workers", "0"], "--workers 0")


@pytest.mark.parametrize("seeds,k,needle", [("[0, 0]", "[4]", "seeds: 0 is listed twice"),
                                            ("[0]", "[8, 8]", "grid.k: 8 is listed twice")])
def test_repeated_grid_values_and_seeds_are_refused(tmp_path, capsys, seeds, k, needle):
    study = study_file(tmp_path / "s.toml", seeds=seeds, k=k)
    one_line_error(capsys, ["study", "run", study, "--out", tmp_path / "o", "--dry-run"], needle)


def test_two_entries_making_the_same_trial_are_refused():
    raw = {"name": "t", "models": [{"name": "mlp"}],
           "methods": [{"method": "kmeans", "grid": {"k": [4, 8]}}, {"method": "kmeans", "settings": {"k": 8}}]}
    with pytest.raises(WfnError, match="already a trial"):
        expand_trials(parse_study(raw))
    with pytest.raises(WfnError, match="models: 'mlp' is listed twice"):
        parse_study({**raw, "models": [{"name": "mlp"}, {"name": "mlp"}]})
    # a label does not make another trial: the same settings twice are one trial
    with pytest.raises(WfnError, match="already a trial"):
        expand_trials(parse_study({**raw, "methods": [{"method": "kmeans", "grid": {"k": [4]}},
                                                      {"method": "kmeans", "grid": {"k": [4]}, "label": "again"}]}))


# -- the lock --------------------------------------------------------------------------------------
def write_lock(folder: Path, **fields) -> Path:
    owner = {"pid": os.getpid(), "host": socket.gethostname(), "started": None, "since": "then", **fields}
    (folder / LOCK_NAME).write_text(json.dumps(owner))
    return folder / LOCK_NAME


def test_a_held_folder_is_refused_naming_the_owner(tmp_path, capsys):
    out = tmp_path / "o"
    out.mkdir()
    study = study_file(tmp_path / "s.toml")
    with StudyLock(out):
        lock = json.loads((out / LOCK_NAME).read_text())
        assert lock["pid"] == os.getpid() and lock["host"] == socket.gethostname()
        one_line_error(capsys, ["study", "run", study, "--out", out], f"pid {os.getpid()}", "in use")
    assert not (out / LOCK_NAME).exists()
    with StudyLock(out):  # free again
        pass


def test_stale_locks_are_taken_over_and_live_or_foreign_ones_are_not(tmp_path):
    write_lock(tmp_path, pid=dead_pid())
    with StudyLock(tmp_path) as lock:
        assert json.loads(lock.path.read_text())["pid"] == os.getpid()
    # our PID, but a process started at another time: the PID was reused, the owner is gone
    write_lock(tmp_path, started=LockOwner.me().started - 1)
    with StudyLock(tmp_path):
        pass
    write_lock(tmp_path, pid=os.getppid())  # a live process
    with pytest.raises(WfnError, match="in use"):
        StudyLock(tmp_path).acquire()
    write_lock(tmp_path, pid=dead_pid(), host="elsewhere.example")
    with pytest.raises(WfnError, match="on elsewhere.example"):
        StudyLock(tmp_path).acquire()
    (tmp_path / LOCK_NAME).write_text("{torn")
    with pytest.raises(WfnError, match="not a study lock"):
        StudyLock(tmp_path).acquire()


def test_a_concurrent_second_run_is_refused(tmp_path):
    """Two real processes: the second `study run` on the folder exits 2 while the first holds it."""
    out = tmp_path / "o"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from wfncodesign.study.lock import StudyLock
        with StudyLock({str(out)!r}):
            print("held", flush=True)
            time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    out.mkdir()
    try:
        assert holder.stdout.readline().strip() == "held"
        second = subprocess.run([sys.executable, "-m", "wfncodesign", "study", "run",
                                 str(study_file(tmp_path / "s.toml")), "--out", str(out)],
                                capture_output=True, text=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
        assert second.returncode == 2 and f"pid {holder.pid}" in second.stderr
        assert "Traceback" not in second.stderr
    finally:
        holder.kill()
        holder.wait()
    write_lock(out, pid=holder.pid)  # killed: its lock is stale
    with StudyLock(out):
        pass


def test_another_study_in_the_same_folder_is_refused_unless_forced(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(runner, "_run_locked", lambda *a, **k: pd.DataFrame())  # no training here
    out = tmp_path / "o"
    first = load_study(study_file(tmp_path / "a.toml", name="a"))
    runner.run_study(first, out, echo=lambda s: None)
    # the same definition laid out differently is the same study
    (tmp_path / "a2.toml").write_text("# a comment\n" + (tmp_path / "a.toml").read_text().replace(" = ", "="))
    runner.run_study(load_study(tmp_path / "a2.toml"), out, echo=lambda s: None)
    other = study_file(tmp_path / "b.toml", name="b", k="[4, 8]")
    one_line_error(capsys, ["study", "run", other, "--out", out], "another study definition", "--force")
    assert tomllib.loads((out / "study.toml").read_text())["name"] == "a"
    runner.run_study(load_study(other), out, echo=lambda s: None, force=True)
    assert (out / "study.toml").read_text() == other.read_text()


# -- workers ---------------------------------------------------------------------------------------
def test_workers_die_with_a_killed_parent(tmp_path):
    pids = tmp_path / "pids"
    script = textwrap.dedent(f"""
        import os, time
        from pathlib import Path
        from wfncodesign.study.runner import process_pool

        def work(i):
            Path({str(pids)!r}, str(os.getpid())).touch()
            time.sleep(120)

        if __name__ == "__main__":
            Path({str(pids)!r}).mkdir()
            pool = process_pool(2)
            futures = [pool.submit(work, i) for i in range(2)]
            time.sleep(120)
    """)
    (tmp_path / "parent.py").write_text(script)
    parent = subprocess.Popen([sys.executable, str(tmp_path / "parent.py")], cwd=REPO,
                              env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        deadline = time.time() + 120
        while (not pids.is_dir() or len(list(pids.iterdir())) < 2) and time.time() < deadline:
            time.sleep(0.2)
        workers = [int(p.name) for p in pids.iterdir()]
        assert len(workers) == 2
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.time() + 20
        while any(_alive(w) for w in workers) and time.time() < deadline:
            time.sleep(0.1)
        assert not any(_alive(w) for w in workers), "workers outlived their killed parent"
    finally:
        parent.kill()
        for p in pids.iterdir() if pids.is_dir() else ():
            try:
                os.kill(int(p.name), signal.SIGKILL)
            except ProcessLookupError:
                pass


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, reaped by nobody yet, counts as dead)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


# -- the results log -------------------------------------------------------------------------------
def row(i: int, pad: int = 0) -> dict:
    return {"trial_id": f"t{i}", "status": "ok", "i": i, "acc": 0.5 + i / 1000, "settings": {"k": i},
            "pad": "x" * pad, "nan": float("nan")}


def test_appending_adds_one_line_and_never_rewrites_earlier_rows(tmp_path):
    store = ResultStore(tmp_path)
    for i in range(5):
        before = store.log.read_bytes() if store.log.exists() else b""
        store.append(row(i))
        after = store.log.read_bytes()
        assert after.startswith(before) and after.count(b"\n") == i + 1
    store.append({**row(2), "status": "error"})  # a rerun replaces the trial's row
    df = store.load()
    assert list(df["trial_id"]) == ["t0", "t1", "t3", "t4", "t2"] and df.set_index("trial_id").loc["t2", "status"] == "error"
    assert store.completed_ids() == {"t0", "t1", "t3", "t4"}
    assert df["nan"].isna().all() and df["settings"].iloc[0] == '{"k": 0}'
    assert not (tmp_path / "results.parquet").exists()
    exported = store.export()
    assert pd.read_parquet(tmp_path / "results.parquet").shape == exported.shape == (5, 7)


def test_a_torn_last_line_is_ignored_then_cut_off(tmp_path):
    store = ResultStore(tmp_path)
    store.append(row(0))
    with open(store.log, "ab") as fh:
        fh.write(b'{"trial_id": "t1", "sta')
    assert list(store.load()["trial_id"]) == ["t0"]
    store.append(row(2))
    assert list(store.load()["trial_id"]) == ["t0", "t2"]
    store.log.write_bytes(store.log.read_bytes().replace(b'"t0"', b'"t0'))  # damage inside: named
    with pytest.raises(WfnError, match=f"{RESULTS_LOG}, line 1"):
        store.load()


def test_an_old_study_table_is_read_and_carried_into_the_log(tmp_path):
    old = pd.DataFrame([{"trial_id": "a", "status": "ok", "x": 1.5}, {"trial_id": "b", "status": "error", "x": 2.0}])
    old.to_parquet(tmp_path / "results.parquet", index=False)
    store = ResultStore(tmp_path)
    assert store.completed_ids() == {"a"}
    store.append({"trial_id": "b", "status": "ok", "x": 3.0})
    df = store.load()
    assert list(df["trial_id"]) == ["a", "b"] and list(df["x"]) == [1.5, 3.0]
    assert store.log.read_text().count("\n") == 3


def test_killing_a_writer_mid_row_never_leaves_an_unreadable_table(tmp_path):
    pad = 1_000_000  # a row long enough that a kill often lands inside its write
    writer = textwrap.dedent(f"""
        from wfncodesign.study.store import ResultStore
        store = ResultStore({str(tmp_path)!r})
        i = len(store.rows())
        while True:
            store.append({{"trial_id": f"t{{i}}", "status": "ok", "i": i, "pad": "x" * {pad}}})
            i += 1
    """)
    store = ResultStore(tmp_path)
    lines = lambda: store.log.read_bytes().count(b"\n") if store.log.exists() else 0  # noqa: E731
    for attempt in range(3):
        proc = subprocess.Popen([sys.executable, "-c", writer], cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
        start = lines()
        deadline = time.time() + 60
        while lines() < start + 2 and time.time() < deadline:
            time.sleep(0.02)
        time.sleep(0.003 * attempt)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        rows = store.rows()
        assert len(rows) >= start + 2
        assert [r["i"] for r in rows] == list(range(len(rows))) and all(len(r["pad"]) == pad for r in rows)
    assert len(store.load()) == len(rows)
