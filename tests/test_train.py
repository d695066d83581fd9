"""Strategy and precision selection, the recipe, and resumable training."""

import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

import convnets_tf
from conftest import Killed
from convnets_tf import train
from convnets_tf.data import load_cifar
from convnets_tf.history import read_rows


def test_without_tpu_the_probe_is_skipped(monkeypatch, capfd):
    # Off TPU machines the resolver would wait on a metadata server: it must
    # not even be constructed.
    def no_probe(*args, **kwargs):
        raise AssertionError("probed for a TPU")
    monkeypatch.setattr(tf.distribute.cluster_resolver, "TPUClusterResolver", no_probe)
    monkeypatch.delenv("COLAB_TPU_ADDR", raising=False)
    monkeypatch.delenv("TPU_NAME", raising=False)
    strategy = train.get_strategy()
    assert strategy is tf.distribute.get_strategy()
    assert strategy.num_replicas_in_sync == 1
    assert capfd.readouterr().out == ""


def test_a_failing_tpu_probe_falls_back_quietly(monkeypatch, capfd):
    def unreachable(*args, **kwargs):
        raise ValueError("Please provide a TPU Name to connect to.")
    monkeypatch.setattr(tf.distribute.cluster_resolver, "TPUClusterResolver", unreachable)
    monkeypatch.setenv("COLAB_TPU_ADDR", "10.0.0.2:8470")
    assert train.get_strategy() is tf.distribute.get_strategy()
    assert capfd.readouterr().out == ""


@pytest.mark.parametrize("tpu_name, expected", [(None, "local"), ("my-pod", None)])
def test_a_tpu_vm_uses_its_own_chips_unless_tpu_name_names_a_slice(
        monkeypatch, tpu_name, expected):
    asked = []

    def resolver(tpu=None):
        asked.append(tpu)
        raise ValueError("no TPU here")
    monkeypatch.setattr(tf.distribute.cluster_resolver, "TPUClusterResolver", resolver)
    monkeypatch.setattr(train.glob, "glob", lambda pattern: ["/dev/accel0"])
    monkeypatch.delenv("COLAB_TPU_ADDR", raising=False)
    monkeypatch.delenv("TPU_NAME", raising=False)
    if tpu_name:
        monkeypatch.setenv("TPU_NAME", tpu_name)
    assert train._tpu_resolver() is None
    assert asked == [expected]


def test_two_replica_mirrored_strategy(tiny_cifar, tmp_path):
    # Two logical CPUs stand in for two GPUs; the recipe then trains with a
    # real MirroredStrategy. A fresh process, since devices are set at start.
    script = textwrap.dedent(f"""
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        cpus = tf.config.list_logical_devices("CPU")
        real = tf.config.list_logical_devices
        tf.config.list_logical_devices = (
            lambda kind=None: cpus if kind == "GPU" else real(kind))

        import convnets_tf
        from convnets_tf import train
        from convnets_tf.data import load_cifar
        strategy = train.get_strategy()
        # Back to the truth, so the recipe does not turn on XLA for "GPUs".
        tf.config.list_logical_devices = real
        assert isinstance(strategy, tf.distribute.MirroredStrategy), strategy
        assert strategy.num_replicas_in_sync == 2
        model = train.train_cifar(
            lambda: convnets_tf.build("lenet5_modern", input_shape=(32, 32, 3)),
            load_cifar(source=r"{tiny_cifar}"), epochs=1, batch_size=64,
            out_dir=r"{tmp_path}", strategy=strategy, verbose=0)
        kernel = model.trainable_variables[0].value
        assert isinstance(kernel, tf.distribute.DistributedValues), type(kernel)
        print("replicas", strategy.num_replicas_in_sync)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "replicas 2" in result.stdout
    assert len(read_rows(tmp_path / "history.csv")) == 1


@pytest.fixture
def fake_devices(monkeypatch):
    """Pretends TPUs or GPUs of given compute capabilities are present."""
    def install(tpu=False, gpu_capabilities=()):
        gpus = [f"GPU:{i}" for i in range(len(gpu_capabilities))]
        details = dict(zip(gpus, gpu_capabilities))
        monkeypatch.setattr(tf.config, "list_logical_devices",
                            lambda kind=None: ["TPU:0"] if tpu and kind == "TPU"
                            else gpus if kind == "GPU" else [])
        monkeypatch.setattr(tf.config, "list_physical_devices",
                            lambda kind=None: gpus if kind == "GPU" else [])
        monkeypatch.setattr(tf.config.experimental, "get_device_details",
                            lambda gpu: {"compute_capability": details[gpu]})
    return install


@pytest.mark.parametrize("devices, expected", [
    ({}, "float32"),
    ({"tpu": True}, "mixed_bfloat16"),
    ({"gpu_capabilities": [(8, 0)]}, "mixed_float16"),
    ({"gpu_capabilities": [(7, 0), (7, 5)]}, "mixed_float16"),
    ({"gpu_capabilities": [(6, 1)]}, "float32"),
])
def test_auto_precision(fake_devices, devices, expected):
    fake_devices(**devices)
    assert train.set_precision("auto").name == expected
    assert keras.mixed_precision.global_policy().name == expected


@pytest.mark.parametrize("policy", ["float32", "mixed_float16", "mixed_bfloat16"])
def test_explicit_precision(policy):
    assert train.set_precision(policy).name == policy
    assert keras.layers.Dense(1).dtype_policy.name == policy


def test_unknown_precision_lists_the_choices():
    with pytest.raises(ValueError, match="mixed_bfloat16"):
        train.set_precision("float16")


def small_model():
    return convnets_tf.build("lenet5_modern", input_shape=(32, 32, 3))


def test_mixed_float16_gets_loss_scaling_and_cpu_gets_no_xla():
    train.set_precision("mixed_float16")
    model = small_model()
    train.compile_model(model, steps_per_epoch=10, epochs=2)
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert model.jit_compile is False

    train.set_precision("float32")
    model = small_model()
    train.compile_model(model, steps_per_epoch=10, epochs=2, optimizer="adamw")
    assert isinstance(model.optimizer, keras.optimizers.AdamW)


def test_accelerators_get_xla(fake_devices):
    fake_devices(gpu_capabilities=[(8, 0)])
    model = small_model()
    train.compile_model(model, steps_per_epoch=10, epochs=2)
    assert model.jit_compile is True


def test_warmup_then_cosine_to_zero():
    schedule = train.warmup_cosine(0.1, steps_per_epoch=10, epochs=50)
    assert float(schedule(0)) == 0.0
    np.testing.assert_allclose(float(schedule(50)), 0.1, rtol=1e-5)  # 5 epochs
    assert float(schedule(275)) < 0.1
    np.testing.assert_allclose(float(schedule(500)), 0.0, atol=1e-7)


def test_unknown_optimizer():
    with pytest.raises(ValueError, match="sgd, adamw"):
        train.compile_model(small_model(), 10, 2, optimizer="rmsprop")


def nan_model():
    """Computes NaN from the first batch on, as a diverged model would."""
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Rescaling(float("nan"))(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))


def test_nan_loss_stops_with_advice(tiny_cifar, tmp_path):
    with pytest.raises(FloatingPointError, match="Lower the learning rate"):
        train.train_cifar(nan_model, load_cifar(source=tiny_cifar), epochs=2,
                          batch_size=64, out_dir=tmp_path, verbose=0)


def test_batch_larger_than_data(tiny_cifar, tmp_path):
    with pytest.raises(ValueError, match="smaller batch"):
        train.train_cifar(small_model, load_cifar(source=tiny_cifar), epochs=1,
                          batch_size=4096, out_dir=tmp_path)


def test_the_training_step_is_traced_once(tiny_cifar, tmp_path, monkeypatch):
    """Variables created inside the first trace (Keras' default under the
    default strategy) make TensorFlow trace the step twice."""
    traces = []
    step = keras.Model.train_step

    def counted(self, data):  # Python runs only while TensorFlow traces
        traces.append(1)
        return step(self, data)

    monkeypatch.setattr(keras.Model, "train_step", counted)
    train.train_cifar(small_model, load_cifar(source=tiny_cifar), epochs=2, batch_size=64,
                      out_dir=tmp_path, verbose=0)
    assert len(traces) == 1


def test_resume_runs_only_the_missing_epochs(tiny_cifar, tmp_path, monkeypatch,
                                             kill_after_epoch):
    data = load_cifar(source=tiny_cifar)
    kill_after_epoch(2)
    with pytest.raises(Killed):
        train.train_cifar(small_model, data, epochs=4, batch_size=64,
                          out_dir=tmp_path, verbose=0)
    first = read_rows(tmp_path / "history.csv")
    monkeypatch.undo()
    train.train_cifar(small_model, data, epochs=4, batch_size=64,
                      out_dir=tmp_path, verbose=0)
    rows = read_rows(tmp_path / "history.csv")
    assert [row["epoch"] for row in rows] == [0, 1, 2, 3]
    assert rows[:2] == first  # finished epochs were not redone
    # 192 training images an epoch (3 batches of 64), timed.
    assert all(row["seconds"] > 0 and row["images_per_second"] > 0 for row in rows)
    assert rows[-1]["images_per_second"] * rows[-1]["seconds"] > 192
    for name in ("model.keras", "best.keras", "curves.png"):
        assert (tmp_path / name).stat().st_size > 0


def test_history_drops_rows_of_epochs_that_rerun(tmp_path):
    path = tmp_path / "history.csv"
    # Epoch 2's row was written, then the run died before its backup; the
    # last line was cut mid-write.
    path.write_text("epoch,loss\r\n0,1.0\r\n1,0.9\r\n2,0.8\r\n3,0.")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.zeros((4, 2)), np.zeros(4), initial_epoch=2, epochs=4,
              verbose=0, callbacks=[train.HistoryLogger(path)])
    rows = read_rows(path)
    assert [row["epoch"] for row in rows] == [0, 1, 2, 3]
    assert rows[1]["loss"] == 0.9 and rows[2]["loss"] != 0.8


def test_describe_run_names_hardware_strategy_precision_data_and_schedule(tiny_cifar):
    data = load_cifar(source=tiny_cifar).take(500, 100)
    line = train.describe_run(data, epochs=2, batch_size=64, precision="mixed_bfloat16")
    assert line.endswith(
        "DefaultDistributionStrategy (1 replica), mixed_bfloat16, XLA off, "
        "500 training / 100 test images (tiny_cifar10.npz), 2 epochs, batch 64")
    assert "-core CPU" in line
    # Plain arrays have no source; "auto" names what auto picks here.
    assert train.describe_run(tuple(data), 1, 64).endswith(
        "float32, XLA off, 500 training / 100 test images, 1 epoch, batch 64")
    # Recipe options that change what the accuracy measures are named.
    assert train.describe_run(data, 2, 64, bn_momentum=0.9, use_ema=True,
                              bn_reestimate=50, tta=True, tta_translate=2).endswith(
        "batch 64, BatchNorm momentum 0.9, EMA 0.99, BatchNorm statistics re-estimated "
        "over 50 batches, test-time augmentation (flip, translate 2)")
    assert train.describe_run(data, 2, 64, tta=True).endswith(
        "batch 64, test-time augmentation (flip)")
    assert train.describe_run(data, 10, 1024, **train.FAST_RECIPE, seed=3).endswith(
        "batch 1024, learning rate 1.5, weight decay 0.00887, label smoothing 0.2, momentum "
        "0.85, triangular schedule, 64x learning rate for normalisation shifts, lookahead, "
        "weight decay on normalisation shifts, crops shifted by up to 2, crops padded by "
        "reflection, seed 3, test-time "
        "augmentation (flip, translate 1)")


def test_weight_decay_skips_biases():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    train.compile_model(model, steps_per_epoch=1, epochs=1, learning_rate=1.0,
                        weight_decay=0.1, warmup_epochs=0)
    kernel, bias = model.get_weights()
    bias += 1.0
    model.set_weights([kernel, bias])
    zeros = [tf.zeros_like(v) for v in model.trainable_variables]
    model.optimizer.apply_gradients(zip(zeros, model.trainable_variables))
    new_kernel, new_bias = model.get_weights()
    np.testing.assert_allclose(new_kernel, kernel * (1 - 0.1), rtol=1e-6)
    np.testing.assert_array_equal(new_bias, bias)


def two_headed_model(image_size=32):
    """A main classifier and an auxiliary one, as GoogLeNet has."""
    inputs = keras.Input((image_size, image_size, 3))
    x = keras.layers.Conv2D(8, 3, strides=2, activation="relu")(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    main = keras.layers.Dense(10, activation="softmax", name="predictions")(x)
    aux = keras.layers.Dense(10, activation="softmax", name="aux")(x)
    return keras.Model(inputs, [main, aux])


def test_auxiliary_outputs_train_with_their_loss_weights(tiny_cifar, tmp_path):
    model = train.train_cifar(
        two_headed_model, load_cifar(source=tiny_cifar), epochs=1, batch_size=64,
        out_dir=tmp_path, verbose=0, loss_weights={"aux": 0.3}, weight_decay=0.0,
    )
    logs = model.history.history
    np.testing.assert_allclose(
        logs["loss"][0], logs["predictions_loss"][0] + 0.3 * logs["aux_loss"][0],
        rtol=1e-4,
    )
    # The main output's accuracy is logged under the usual names.
    row = read_rows(tmp_path / "history.csv")[0]
    assert row["accuracy"] == pytest.approx(logs["predictions_accuracy"][0])
    assert row["val_accuracy"] == pytest.approx(logs["val_predictions_accuracy"][0])
    assert "val_aux_accuracy" not in row
    assert (tmp_path / "best.keras").exists()


def test_loss_weights_must_name_outputs():
    with pytest.raises(ValueError, match=r"not outputs .* \['predictions', 'aux'\]"):
        train.compile_model(two_headed_model(), 10, 2, loss_weights={"aux1": 0.3})


def test_images_resized_to_the_models_input(tiny_cifar, tmp_path):
    model = train.train_cifar(
        lambda: two_headed_model(image_size=40), load_cifar(source=tiny_cifar),
        epochs=1, batch_size=64, out_dir=tmp_path, verbose=0,
    )
    assert model.input_shape == (None, 40, 40, 3)
    assert len(read_rows(tmp_path / "history.csv")) == 1


def test_precision_applies_to_the_model_and_the_global_policy_is_restored(
        tiny_cifar, tmp_path):
    model = train.train_cifar(small_model, load_cifar(source=tiny_cifar).take(128, 64),
                              epochs=1, batch_size=64, out_dir=tmp_path, verbose=0,
                              precision="mixed_bfloat16")
    assert model.layers[1].dtype_policy.name == "mixed_bfloat16"
    assert keras.mixed_precision.global_policy().name == "float32"
    assert keras.layers.Dense(1).dtype_policy.name == "float32"

    def failing_build():
        small_model()
        raise RuntimeError("build failed")

    with pytest.raises(RuntimeError, match="build failed"):
        train.train_cifar(failing_build, load_cifar(source=tiny_cifar), epochs=1,
                          batch_size=64, out_dir=tmp_path / "other",
                          precision="mixed_float16")
    assert keras.mixed_precision.global_policy().name == "float32"
