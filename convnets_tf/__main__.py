"""Command line: `python -m convnets_tf {train,evaluate,list}`.

    python -m convnets_tf train lenet5 --dataset cifar10 --epochs 30 \
        --batch-size 128 --out runs/lenet5
    python -m convnets_tf evaluate runs/lenet5/model.keras [--tta]
    python -m convnets_tf list

Running the same `train` command again after an interruption (Ctrl-C, a kill,
a lost session) resumes from the last finished epoch. A different command
into the same --out is refused; --restart deletes the old run and starts over.
Errors print one line, `error: ...`, and exit with status 1.
"""

import argparse
import inspect
import sys

from convnets_tf.data import NUM_CLASSES
from convnets_tf.train import OPTIMIZERS, PRECISIONS


def train(args):
    from convnets_tf import build, model_spec
    from convnets_tf.data import load_cifar
    from convnets_tf.train import (
        FAST_BATCH_SIZE,
        FAST_EPOCHS,
        WHITENING_IMAGES,
        check_image_size,
        check_run,
        describe_run,
        fast_recipe,
        get_strategy,
        has_accelerator,
        train_cifar,
    )

    fast = args.recipe == "fast"
    # Options given on the command line win over the chosen recipe's.
    given = dict(optimizer=args.optimizer, learning_rate=args.lr,
                 bn_momentum=args.bn_momentum, bn_reestimate=args.bn_reestimate,
                 use_ema=args.ema or None, ema_momentum=args.ema_momentum,
                 tta=args.tta or None, tta_translate=args.tta_translate, seed=args.seed)
    # Set on `args` too, for the line that an interruption prints.
    if args.epochs is None:
        args.epochs = FAST_EPOCHS if fast else 30
    epochs = args.epochs
    batch_size = args.batch_size
    if batch_size is None:
        batch_size = FAST_BATCH_SIZE if fast else 128
    recipe = {**(fast_recipe(batch_size) if fast else {}),
              **{option: value for option, value in given.items() if value is not None}}
    # Wrong arguments fail before the data is loaded or a model is built.
    check_run(epochs, batch_size, args.out, **recipe)
    # `--image-size 0` must not mean "not given".
    if args.image_size is not None:
        check_image_size(args.image_size)
    data = load_cifar(args.dataset, source=args.data)
    height, width, channels = data[0][0].shape[1:]
    if args.image_size is not None:
        height = width = args.image_size
    strategy = get_strategy()
    print(describe_run(data, epochs, batch_size, strategy, args.precision, **recipe))
    if args.precision not in ("auto", "float32") and not has_accelerator():
        print(f"note: {args.precision} is slower than float32 on a CPU; "
              "16-bit math only pays off on GPUs and TPUs.")
    shape = dict(input_shape=(height, width, channels), num_classes=data.num_classes)
    # A builder that initialises a layer from data (airbench94's whitening)
    # gets the first training images.
    if "whitening_images" in inspect.signature(model_spec(args.model).builder).parameters:
        shape["whitening_images"] = data[0][0][:WHITENING_IMAGES]
    model = train_cifar(
        lambda: build(args.model, **shape),
        data,
        epochs=epochs,
        batch_size=batch_size,
        out_dir=args.out,
        precision=args.precision,
        strategy=strategy,
        restart=args.restart,
        **recipe,
    )
    print(f"Saved {args.out}/model.keras, history.csv, final.json and curves.png "
          f"({model.count_params():,} parameters).")


def evaluate(args):
    import keras
    import numpy as np

    import convnets_tf  # noqa: F401  (registers the custom layers)
    from convnets_tf.data import load_cifar
    from convnets_tf.train import full_recipe, model_file_problem, predict_main, tta_views

    # Checked before anything is loaded.
    translate = args.tta_translate or 0
    full_recipe(tta=args.tta, tta_translate=translate)
    problem = model_file_problem(args.model)
    if problem:
        raise ValueError(f"{problem}; pass a model saved by `train`, such as "
                         "runs/NAME/model.keras or best.keras.")
    model = keras.models.load_model(args.model, compile=False)
    # A model trained with auxiliary classifiers is judged by its main one.
    model = keras.Model(model.inputs, model.outputs[0])
    # The number of outputs says which data set the model was trained on.
    outputs = model.output_shape[-1]
    name = next((name for name, n in NUM_CLASSES.items() if n == outputs), None)
    if name is None:
        raise ValueError(
            f"{args.model} has {outputs} outputs; only models with "
            f"{' or '.join(map(str, NUM_CLASSES.values()))} (CIFAR) can be evaluated."
        )
    _, (x_test, y_test) = load_cifar(name, source=args.data)
    # Models trained at another size see the test images at their size.
    views = tta_views(x_test, translate) if args.tta else [x_test]
    probs = [predict_main(model, view) for view in views]
    accuracy = float(np.mean(np.argmax(probs[0], axis=-1) == y_test))
    print(f"test accuracy: {accuracy:.4f} ({len(y_test)} {name} test images)")
    if args.tta:
        accuracy = float(np.mean(np.argmax(np.mean(probs, axis=0), axis=-1) == y_test))
        print(f"test accuracy with test-time augmentation ({len(views)} views): "
              f"{accuracy:.4f}")


def list_models(args):
    from convnets_tf import list_models

    print("\n".join(list_models()))


def add_tta_arguments(parser):
    parser.add_argument("--tta", action="store_true", help="also test with test-time "
                        "augmentation: predictions averaged over each image and its "
                        "mirror image")
    parser.add_argument("--tta-translate", type=int, metavar="PIXELS",
                        help="with --tta, also average over copies shifted by this "
                        "many pixels")


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m convnets_tf", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("train", help="train a model on CIFAR")
    p.add_argument("model", help="a name from `python -m convnets_tf list`")
    p.add_argument("--dataset", choices=tuple(NUM_CLASSES), default="cifar10")
    p.add_argument("--recipe", choices=("default", "fast"), default="default",
                   help="fast: airbench's recipe for its network (batch 1,024, 10 "
                   "epochs, Nesterov SGD at momentum 0.85 on a triangular schedule, "
                   "label smoothing 0.2, 64x the learning rate for BatchNorm shifts, "
                   "lookahead, weight decay on the BatchNorm shifts, reflected crops "
                   "shifted by 2, flip-and-translate test-time augmentation); the "
                   "options below override it")
    p.add_argument("--epochs", type=int, help="default: 30, or 10 with --recipe fast")
    p.add_argument("--batch-size", type=int,
                   help="default: 128, or 1,024 with --recipe fast")
    p.add_argument("--out", required=True, help="run directory; the same command "
                   "resumes the run in it, a different one is refused")
    p.add_argument("--restart", action="store_true", help="delete the run in --out "
                   "and start over")
    p.add_argument("--data", help="an .npz with x_train, y_train, x_test, y_test")
    p.add_argument("--image-size", type=int, help="resize the images to this "
                   "size, for models whose minimum input is larger than 32x32")
    p.add_argument("--precision", choices=PRECISIONS, default="auto")
    p.add_argument("--seed", type=int, help="seed of the initial weights, the shuffling "
                   "and the augmentation (default: none, a different run each time)")
    p.add_argument("--optimizer", choices=OPTIMIZERS, help="default: sgd")
    p.add_argument("--lr", type=float, help="peak learning rate (default: 0.1 "
                   "for SGD, 1e-3 for AdamW)")
    p.add_argument("--bn-momentum", type=float, help="momentum of every BatchNorm "
                   "layer's moving statistics (default: the model's, 0.99)")
    p.add_argument("--bn-reestimate", type=int, metavar="BATCHES",
                   help="after training, recompute the BatchNorm statistics over "
                   "this many training batches")
    p.add_argument("--ema", action="store_true", help="evaluate and save an "
                   "exponential moving average of the weights")
    p.add_argument("--ema-momentum", type=float, help="default: 0.99")
    add_tta_arguments(p)
    p.set_defaults(run=train)

    p = commands.add_parser("evaluate", help="print a saved model's test accuracy")
    p.add_argument("model", help="a saved .keras model")
    p.add_argument("--data", help="an .npz with x_train, y_train, x_test, y_test")
    add_tta_arguments(p)
    p.set_defaults(run=evaluate)

    p = commands.add_parser("list", help="print the model names")
    p.set_defaults(run=list_models)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        args.run(args)
    except (ValueError, FileNotFoundError, RuntimeError, FloatingPointError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"stopped: {interrupted(args)}", file=sys.stderr)
        return 130
    return 0


def interrupted(args):
    """What Ctrl-C left behind, in one line."""
    if args.command != "train":
        return "interrupted."
    from convnets_tf.train import finished_epochs

    done = finished_epochs(args.out)
    if not done:
        return "no epoch was finished; the same command starts the run."
    return (f"epochs 1-{done} of {args.epochs} are saved in {args.out}; "
            "the same command resumes from there.")


if __name__ == "__main__":
    sys.exit(main())
