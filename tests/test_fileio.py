"""Atomic writes: whole files with ordinary permissions, nothing left behind on failure."""

from __future__ import annotations

import os
import stat

import pytest

from compress.fileio import atomic_write, atomic_write_text


def test_atomic_write_gives_normal_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        p = atomic_write_text(tmp_path / "x.txt", "hi")
    finally:
        os.umask(old)
    assert stat.S_IMODE(p.stat().st_mode) == 0o644 and p.read_text() == "hi"


def test_failed_write_leaves_old_file_and_no_temp(tmp_path):
    p = atomic_write_text(tmp_path / "x.txt", "old")

    def boom(fh):
        fh.write(b"partial")
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        atomic_write(p, boom)
    assert p.read_text() == "old" and sorted(os.listdir(tmp_path)) == ["x.txt"]
