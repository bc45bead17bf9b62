"""SCALE-Sim topology writer: every layer's MACs survive the round trip through read_topology_csv."""

from __future__ import annotations

import torch
from torch import nn

from hwsim import capture_layers, read_topology_csv
from hwsim.workload.topology import write_topology_csv
from wfncodesign.cli import main


def test_written_topology_reads_back_with_the_same_macs(tmp_path):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 8, 3, 1, 1), nn.Conv2d(8, 8, 3, 1, 1, groups=8), nn.Flatten(1, 2),
                        nn.Linear(8, 4))
    layers = capture_layers(net, torch.zeros(2, 3, 6, 8)).layers
    back = read_topology_csv(write_topology_csv(layers, tmp_path / "t.csv"))
    assert sum(layer.macs for layer in back) == sum(layer.macs for layer in layers)
    assert len(back) == 2 + 2 * 8 + 1  # per image, per group; the fc as one 1x1 row


def test_attention_matmuls_become_rows(tmp_path):
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 2, 32, batch_first=True), 1, enable_nested_tensor=False)
    layers = capture_layers(enc, torch.zeros(1, 5, 16)).layers
    back = read_topology_csv(write_topology_csv(layers, tmp_path / "t.csv"))
    assert sum(layer.macs for layer in back) == sum(layer.macs for layer in layers)


def test_topology_command(tmp_path, capsys):
    assert main(["topology", "--arch", "lenet5", "--input-shape", "1,28,28", "--out", str(tmp_path / "l.csv")]) == 0
    assert "4 layers" in capsys.readouterr().out
    assert len(read_topology_csv(tmp_path / "l.csv")) == 4
