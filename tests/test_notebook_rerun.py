"""A training cell run again in the same kernel (issue #27, item 7): after Ctrl-C it resumes, after it finished it
restores, and either way ends with the numbers of an uninterrupted script run, in the same run folder."""

import keras
import numpy as np
import pytest

from course_utils.runs import Run


class InterruptAtBatch(keras.callbacks.Callback):
    """Ctrl-C in the middle of epoch ``epoch`` (0-based), once."""

    def __init__(self, epoch, batch=3):
        super().__init__()
        self.epoch, self.batch, self.fired = epoch, batch, False

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if not self.fired and self.current == self.epoch and batch == self.batch:
            self.fired = True
            raise KeyboardInterrupt


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 6)).astype("float32")
    return x, (x.sum(axis=1, keepdims=True) > 0).astype("float32")


def model():
    keras.utils.set_random_seed(7)
    inputs = keras.Input((6,))
    hidden = keras.layers.Dropout(0.2)(keras.layers.Dense(8, activation="relu")(inputs))
    net = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(hidden))
    net.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy")
    return net


def train(run, net, *callbacks):
    import tensorflow as tf

    batches = tf.data.Dataset.from_tensor_slices(data()).shuffle(256, seed=1).batch(32)
    return run.fit(net, batches, epochs=3, callbacks=list(callbacks), verbose=0)


def weights(net):
    return [np.array(w) for w in net.get_weights()]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    net = model()
    history = train(Run.start("lessonXX_test", run_dir=tmp_path_factory.mktemp("whole")), net)
    return weights(net), history.history["loss"]


@pytest.mark.parametrize("interrupt", [InterruptAtBatch(0), InterruptAtBatch(1), InterruptAtBatch(2, batch=0)])
def test_the_cell_run_again_after_ctrl_c_ends_as_the_script_does(tmp_path, uninterrupted, interrupt):
    run, net = Run.start("lessonXX_test", run_dir=tmp_path / "run"), model()
    with pytest.raises(KeyboardInterrupt):
        train(run, net, interrupt)
    history = train(run, net, interrupt)  # the same cell again: same run, same model object
    assert all(np.array_equal(a, b) for a, b in zip(weights(net), uninterrupted[0]))
    assert history.history["loss"] == uninterrupted[1]
    assert sorted(p.name for p in (tmp_path).iterdir()) == ["run"], "no other run folder"


def test_the_finished_cell_run_again_restores_instead_of_training_on_top(tmp_path, uninterrupted, capsys):
    run, net = Run.start("lessonXX_test", run_dir=tmp_path / "run"), model()
    train(run, net)
    history = train(run, net)
    assert all(np.array_equal(a, b) for a, b in zip(weights(net), uninterrupted[0]))
    assert history.history["loss"] == uninterrupted[1]
    assert "training had finished" in capsys.readouterr().out


def test_a_new_model_for_the_phase_trains_from_the_start(tmp_path, uninterrupted):
    run = Run.start("lessonXX_test", run_dir=tmp_path / "run")
    train(run, model())
    net = model()  # the model cell run again
    history = train(run, net)
    assert len(history.history["loss"]) == 3
    assert all(np.array_equal(a, b) for a, b in zip(weights(net), uninterrupted[0]))
