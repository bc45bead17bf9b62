"""``wfncodesign train``: train (or fine-tune) a reference model and save a checkpoint."""

from __future__ import annotations

import argparse
from pathlib import Path

from wfncodesign.cli.common import add_data_args, add_device_arg
from wfncodesign.errors import WfnError
from wfncodesign.modelspecs import MODELS, Recipe
from wfncodesign.outpaths import check_output_file
from wfncodesign.settings import add_settings_arguments, given_options


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train",
                       description="Train a reference model (recipe defaults per model) and save it.")
    p.add_argument("--model", required=True, choices=sorted(MODELS))
    add_data_args(p)
    p.add_argument("--init", default=None, metavar="CHECKPOINT",
                   help="fine-tune from these weights (a wfncodesign checkpoint or a third-party state_dict, "
                        "e.g. ../shared/data/pretrained/resnet20-12fca82f.th) with the model's fine-tuning recipe")
    add_device_arg(p)
    p.add_argument("--out", required=True, help="checkpoint path (.pt)")
    add_settings_arguments(p, Recipe, "recipe options", default_text="the model's recipe, with --init its fine-tuning recipe")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from wfncodesign.data import load_dataset  # torch: imported to run, not for --help
    from wfncodesign.train import TrainConfig, save_checkpoint, train_model

    if Path(args.out).suffix != ".pt":
        raise WfnError(f"--out {args.out}: a checkpoint is a torch file, so its name must end in .pt")
    check_output_file(args.out)
    splits = load_dataset(args.data, args.data_dir, seed=args.seed)
    config = TrainConfig.for_model(args.model, finetune=args.init is not None, seed=args.seed, device=args.device,
                                   **given_options(Recipe, args))
    result = train_model(args.model, splits, config, init=args.init)
    metrics = {"val_accuracy": result.val_accuracy, "test_accuracy": result.test_accuracy,
               "train_seconds": result.seconds}
    extra = {"init": str(args.init)} if args.init else None
    save_checkpoint(args.out, result.model, args.model, args.data, metrics, config.to_dict(), extra)
    print(f"{args.model} on {args.data}: test accuracy {100 * result.test_accuracy:.2f} % "
          f"(val {100 * result.val_accuracy:.2f} %), {config.recipe.epochs} epochs, {result.seconds:.1f} s -> {args.out}")
    return 0
