"""Progressive learning (Tan and Le 2021, Algorithm 1): the training image
size and the crop augmentation grow in stages, resumably."""

import json

import keras
import numpy as np
import pytest

from conftest import Killed
from convnets_tf import train
from convnets_tf.data import CIFAR_MEAN, CIFAR_STD, load_cifar, make_dataset
from convnets_tf.history import read_rows


def any_size_model():
    inputs = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x), name="tiny")


def fixed_size_model():
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.GlobalAveragePooling2D()(inputs)
    return keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x), name="tiny")


@pytest.fixture
def pipelines(monkeypatch):
    """Records the (training, image size, crop shift, batch shape) of every
    pipeline train_cifar makes."""
    made = []

    def recording(x, y, batch_size, training, **options):
        dataset = make_dataset(x, y, batch_size, training, **options)
        shape = tuple(dataset.element_spec[0].shape)
        made.append((training, options.get("image_size"), options.get("translate", 4), shape))
        return dataset

    monkeypatch.setattr(train, "make_dataset", recording)
    return made


def test_stages_split_the_epochs_equally_with_the_last_ones_longer():
    assert train.progressive_stages(6, [16, 24, 32]) == [
        (0, 2, 16, 4), (2, 4, 24, 4), (4, 6, 32, 4)]
    assert train.progressive_stages(5, [16, 24, 32], [0, 2, 4]) == [
        (0, 1, 16, 0), (1, 3, 24, 2), (3, 5, 32, 4)]
    assert train.progressive_stages(1, [32]) == [(0, 1, 32, 4)]


@pytest.mark.parametrize("schedule, message", [
    (dict(image_sizes=16), "list of training image sizes"),
    (dict(image_sizes=[]), "list of training image sizes"),
    (dict(image_sizes=[16, 0]), "from 1 to 512"),
    (dict(image_sizes=[16, 1024]), "from 1 to 512"),
    (dict(image_sizes=[16.0, 32]), "list of training image sizes"),
    (dict(image_sizes=[16, 32], translations=[2]), "one per stage"),
    (dict(image_sizes=[16, 32], translations=[2, 9]), "from 0 to 8"),
    (dict(image_sizes=[16, 32], translations=[-1, 4]), "from 0 to 8"),
    (dict(translations=[0, 4]), "translations needs image_sizes"),
    (dict(image_sizes=[8, 16, 24, 32]), "4 stages but the run has 3 epochs"),
])
def test_bad_schedules_are_refused_before_a_model_is_built(tiny_cifar, tmp_path, schedule,
                                                           message):
    def never_built():
        raise AssertionError("a model was built")

    with pytest.raises(ValueError, match=message) as error:
        train.train_cifar(never_built, load_cifar(source=tiny_cifar), epochs=3,
                          batch_size=64, out_dir=tmp_path, verbose=0, **schedule)
    assert "\n" not in str(error.value)


def test_a_model_of_one_input_size_is_refused_with_what_to_do(tiny_cifar, tmp_path, pipelines):
    with pytest.raises(ValueError, match=r"input_shape=\(None, None, channels\).*32x32 only"):
        train.train_cifar(fixed_size_model, load_cifar(source=tiny_cifar), epochs=2,
                          batch_size=64, out_dir=tmp_path, verbose=0, image_sizes=[16, 32])
    assert pipelines == []  # refused before any training


def test_translate_sets_the_crop_shift(tiny_cifar):
    (x, y), _ = load_cifar(source=tiny_cifar).take(64, 1)
    plain = (x.astype("float32") - CIFAR_MEAN) / CIFAR_STD
    views = np.concatenate([plain, plain[:, :, ::-1]])  # each image and its mirror

    def unshifted(translate):
        """The fraction of augmented images equal to an original or its mirror."""
        batch = next(iter(make_dataset(x, y, 64, training=True, seed=1, translate=translate)))
        batch = batch[0].numpy()
        gaps = np.abs(batch[:, None] - views[None]).max(axis=(2, 3, 4)).min(axis=1)
        return np.mean(gaps < 1e-4)

    assert unshifted(0) == 1.0  # flips only
    assert unshifted(4) < 0.5   # most crops shifted, by up to 4 pixels each way
    with pytest.raises(ValueError, match="whole number of pixels"):
        make_dataset(x, y, 64, training=True, translate=-1)


def test_reflected_crops_have_no_black_border():
    # White images: a zero-padded crop shifted off-centre shows black
    # pixels at its edge, a reflected one only white.
    x = np.full((64, 8, 8, 3), 255, np.uint8)
    y = np.zeros(64, np.int32)
    white = (255 - np.array(CIFAR_MEAN)) / np.array(CIFAR_STD)

    def all_white(crop_padding):
        batch = next(iter(make_dataset(x, y, 64, training=True, seed=1, translate=2,
                                       crop_padding=crop_padding)))[0].numpy()
        return np.allclose(batch, np.broadcast_to(white, batch.shape), atol=1e-5)

    assert not all_white("zeros")
    assert all_white("reflect")
    with pytest.raises(ValueError, match="crop_padding must be one of zeros, reflect"):
        make_dataset(x, y, 64, training=True, crop_padding="wrap")


def test_each_stage_trains_at_its_size_and_the_test_at_the_last(tiny_cifar, tmp_path,
                                                                 pipelines):
    data = load_cifar(source=tiny_cifar).take(128, 64)
    model = train.train_cifar(any_size_model, data, epochs=4, batch_size=64,
                              out_dir=tmp_path, verbose=0, image_sizes=[16, 24],
                              translations=[1, 3])
    training = [(size, shift, shape) for is_train, size, shift, shape in pipelines if is_train]
    assert training == [(16, 1, (64, 16, 16, 3)), (24, 3, (64, 24, 24, 3))]
    tests = [shape for is_train, _, _, shape in pipelines if not is_train]
    assert tests and all(shape[1:3] == (24, 24) for shape in tests)
    rows = read_rows(tmp_path / "history.csv")
    assert [row["epoch"] for row in rows] == [0, 1, 2, 3]
    definition = json.loads((tmp_path / "run.json").read_text())
    assert definition["image_sizes"] == [16, 24]
    assert definition["translations"] == [1, 3]
    assert definition["image_size"] == [24, 24]
    assert model.optimizer.iterations.numpy() == 4 * 2  # one schedule throughout
    assert "test_accuracy" in json.loads((tmp_path / "final.json").read_text())


def test_a_resumed_run_continues_the_same_schedule(tiny_cifar, tmp_path, monkeypatch,
                                                   pipelines, kill_after_epoch):
    data = load_cifar(source=tiny_cifar).take(128, 64)
    schedule = dict(image_sizes=[16, 24, 32])  # epochs 0-1, 2-3, 4-5
    backup_epoch_end = train.AtomicBackupAndRestore.on_epoch_end  # restored below
    kill_after_epoch(3)
    with pytest.raises(Killed):
        train.train_cifar(any_size_model, data, epochs=6, batch_size=64,
                          out_dir=tmp_path, verbose=0, **schedule)
    first = read_rows(tmp_path / "history.csv")
    assert [row["epoch"] for row in first] == [0, 1, 2]
    monkeypatch.setattr(train.AtomicBackupAndRestore, "on_epoch_end", backup_epoch_end)
    pipelines.clear()
    model = train.train_cifar(any_size_model, data, epochs=6, batch_size=64,
                              out_dir=tmp_path, verbose=0, **schedule)
    # The finished first stage is skipped; the second resumes at its second epoch.
    assert [size for is_train, size, _, _ in pipelines if is_train] == [24, 32]
    rows = read_rows(tmp_path / "history.csv")
    assert [row["epoch"] for row in rows] == [0, 1, 2, 3, 4, 5]
    assert rows[:3] == first
    assert model.optimizer.iterations.numpy() == 6 * 2

    # Finished: a rerun trains nothing and still returns the trained model.
    pipelines.clear()
    again = train.train_cifar(any_size_model, data, epochs=6, batch_size=64,
                              out_dir=tmp_path, verbose=0, **schedule)
    assert len(read_rows(tmp_path / "history.csv")) == 6
    np.testing.assert_allclose(again.get_weights()[0], model.get_weights()[0])


def test_a_different_schedule_is_refused(tiny_cifar, tmp_path):
    data = load_cifar(source=tiny_cifar).take(128, 64)
    train.train_cifar(any_size_model, data, epochs=2, batch_size=64, out_dir=tmp_path,
                      verbose=0, image_sizes=[16, 32])
    for other in (dict(image_sizes=[24, 32]), dict(),
                  dict(image_sizes=[16, 32], translations=[0, 4])):
        with pytest.raises(ValueError, match="holds a different run.*(image_sizes|translati)"):
            train.train_cifar(any_size_model, data, epochs=2, batch_size=64,
                              out_dir=tmp_path, verbose=0, **other)


def test_describe_run_says_the_schedule(tiny_cifar):
    line = train.describe_run(load_cifar(source=tiny_cifar), epochs=5, batch_size=64,
                              image_sizes=[16, 24, 32], translations=[0, 2, 4])
    assert line.endswith("progressive learning: 16x16 (crop shift 0) for 1 epoch, "
                         "24x24 (crop shift 2) for 2 epochs, 32x32 (crop shift 4) for 2 epochs")
