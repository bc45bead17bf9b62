"""One config dataclass per method: its fields drive the ``fix`` options and the study's TOML keys,
with the defaults and help written once (on the compress configs) and the training recipe held, not
repeated, by :class:`TrainConfig`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pytest

from compress.errors import CompressError
from compress.pow2.inq import InqConfig
from compress.pow2.levels import LevelConfig
from compress.sharing.kmeans import KMeansConfig
from compress.sharing.moea import NsgaConfig
from compress.transform.dct import DctConfig
from compress.transform.jpeg import JpegConfig
from compress.wfn.fixer import WFNConfig
from compress.wfn.fixing import StepRule, fix_to_target_priced
from wfncodesign.cli import build_parser
from wfncodesign.cli.fix import build_fix_parser
from wfncodesign.errors import WfnError
from wfncodesign.methods import METHODS
from wfncodesign.models import get_spec
from wfncodesign.settings import RUN_FIELDS, borrow, project, settings_from_mapping, settings_to_dict
from wfncodesign.study.config import parse_study
from wfncodesign.train import TrainConfig


def _option_group(parser, title: str) -> dict[str, str]:
    """dest -> help of the options in the argument group called ``title``."""
    group = next(g for g in parser._action_groups if g.title == title)
    return {a.dest: a.help for a in group._group_actions}


@pytest.mark.parametrize("name", sorted(METHODS))
def test_cli_options_and_toml_keys_come_from_one_dataclass(name):
    cls = METHODS[name].Settings
    options = _option_group(build_fix_parser(name), f"{name} options")
    defaults = settings_to_dict(cls())
    assert list(options) == list(defaults)  # the same names, in the same order
    assert not RUN_FIELDS & set(options)  # --seed/--device are the run's, never a method's
    assert all(h and not h.startswith(" (default") for h in options.values())  # every option has help
    assert settings_from_mapping(cls, defaults) == cls()  # what a study stores reads back


def test_method_defaults_are_the_compress_configs():
    wfn, kmeans, moea = (METHODS[n].Settings() for n in ("wfn", "kmeans", "moea"))
    assert wfn.config() == WFNConfig() and isinstance(wfn, WFNConfig)
    assert type(wfn.config(seed=3)) is WFNConfig and wfn.config(seed=3).seed == 3
    assert project(kmeans, KMeansConfig) == KMeansConfig()
    assert moea.nsga(0) == NsgaConfig()
    pow2, apot = METHODS["pow2"].Settings(), METHODS["apot"].Settings()
    assert pow2.inq() == InqConfig(levels=LevelConfig(kind="pow2", share="layer"))
    assert pow2.levels(train=False) == LevelConfig(kind="pow2", share="network")
    assert apot.levels(train=False) == LevelConfig(kind="apot", bits=4)
    assert METHODS["jpeg"].Settings is JpegConfig and METHODS["dct"].Settings is DctConfig


def test_borrow_and_project():
    @dataclass(frozen=True)
    class Both:
        bits: int = borrow(LevelConfig, "bits", default=3, help="fewer")
        clip: str = borrow(LevelConfig, "clip")
        extra: int = field(default=1, metadata={"help": "not a level option"})

    (bits, clip, _) = dataclasses.fields(Both)
    assert (bits.default, bits.metadata["help"]) == (3, "fewer")
    assert (clip.default, clip.metadata["choices"]) == ("mse", ("mse", "max"))
    assert project(Both(bits=6), LevelConfig, kind="apot") == LevelConfig(kind="apot", bits=6, clip="mse")
    with pytest.raises(TypeError, match="no field 'bitz'"):
        borrow(LevelConfig, "bitz")


def test_train_config_holds_the_recipe_and_train_takes_its_options():
    tc = TrainConfig.for_model("resnet20", epochs=2, momentum=None, seed=4, device="cpu")
    assert tc.recipe == dataclasses.replace(get_spec("resnet20").recipe, epochs=2)
    assert tc.to_dict() == {**dataclasses.asdict(tc.recipe), "seed": 4, "device": "cpu"}
    argv = ["train", "--model", "mlp", "--optimizer", "sgd", "--weight-decay", "1e-4", "--out", "m.pt"]
    args = build_parser(argv).parse_args(argv)  # the parser registers the command its argv names
    assert (args.optimizer, args.weight_decay) == ("sgd", 1e-4) and not hasattr(args, "epochs")
    with pytest.raises(WfnError, match="batch_size must be >= 1"):
        TrainConfig.for_model("mlp", batch_size=0)


def test_study_models_take_recipe_overrides_and_keep_their_key():
    base = {"name": "t", "methods": [{"method": "kmeans"}]}
    entry = parse_study({**base, "models": [{"name": "mlp", "lr": 0.5, "epochs": 1, "optimizer": "sgd"}]}).models[0]
    assert entry.recipe == {"epochs": 1, "lr": 0.5, "optimizer": "sgd"}
    assert entry.key == "epochs=1,lr=0.5,optimizer=sgd"  # the recipe's order, whatever the file's
    with pytest.raises(WfnError, match=r"models\[0\].optimizer: 'rmsprop' is not one of"):
        parse_study({**base, "models": [{"name": "mlp", "optimizer": "rmsprop"}]})
    with pytest.raises(WfnError, match=r"models\[0\]: learning rate must be a positive number"):
        parse_study({**base, "models": [{"name": "mlp", "lr": -1.0}]})


def test_priced_step_needs_a_priced_rule():
    w = np.linspace(-1, 1, 11).astype(np.float32)
    with pytest.raises(CompressError, match="needs a rule with a value_cost"):
        fix_to_target_priced(w, np.zeros(11, bool), 5, 0.1, StepRule(2.0**-7, 2, value_cost=np.abs))
