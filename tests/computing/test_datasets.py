"""Local image data sets for the learning studies (pcmphys.computing.datasets)."""

import gzip
import struct

import numpy as np
import pytest

from pcmphys.computing.datasets import load_images, read_idx


def _write_idx(path, array):
    header = (struct.pack(">BBBB", 0, 0, 0x08, array.ndim)
              + struct.pack(f">{array.ndim}I", *array.shape))
    data = header + array.astype(np.uint8).tobytes()
    if path.suffix == ".gz":
        data = gzip.compress(data)
    path.write_bytes(data)


def test_idx_folder_round_trip(tmp_path):
    rng = np.random.default_rng(5)
    train = rng.integers(0, 256, size=(12, 28, 28))
    test = rng.integers(0, 256, size=(4, 28, 28))
    _write_idx(tmp_path / "train-images-idx3-ubyte.gz", train)
    _write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.arange(12) % 10)
    _write_idx(tmp_path / "t10k-images-idx3-ubyte", test)
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.array([3, 1, 4, 1]))
    data = load_images(mnist_dir=tmp_path)
    assert data.source == "mnist-idx" and data.side == 28
    np.testing.assert_array_equal(data.x_train * 255.0, train.reshape(12, -1))
    np.testing.assert_array_equal(data.y_test, [3, 1, 4, 1])


def test_idx_rejects_truncated_and_foreign_files(tmp_path):
    path = tmp_path / "bad-idx"
    _write_idx(path, np.zeros((3, 4), dtype=np.uint8))
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(ValueError, match="payload"):
        read_idx(path)
    path.write_bytes(b"PK\x03\x04 not idx")
    with pytest.raises(ValueError, match="magic"):
        read_idx(path)


def test_digits_split_is_fixed_and_stratified():
    pytest.importorskip("sklearn")
    a, b = load_images("digits"), load_images("digits")
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert np.bincount(a.y_test).tolist() == [36] * 10
    assert a.x_train.shape == (1437, 64) and 0.0 <= a.x_train.min() and a.x_train.max() <= 1.0


def test_unknown_source_is_refused():
    with pytest.raises(ValueError, match="source must be one of"):
        load_images("cifar")
    with pytest.raises(ValueError, match="needs mnist_dir"):
        load_images("mnist-idx")
