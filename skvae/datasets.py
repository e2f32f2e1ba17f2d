"""Loaders for the image data sets of the AEVB and IWAE papers and the founding
report, from local files.

Nothing is downloaded. Each loader looks in ``path`` (or its subfolder named
for the data set) or, without ``path``, in the folder named by the
environment variable ``SKVAE_DATA_DIR`` (or its subfolder). Each returns a
:class:`sklearn.utils.Bunch` like :func:`sklearn.datasets.load_digits`, with
``data`` as float32 in [0, 1] (float32 halves the memory of MNIST and is what
the estimator trains fastest on).
"""

import gzip
import os
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

__all__ = ["load_binarized_mnist", "load_caltech101_silhouettes", "load_frey_faces", "load_mnist"]

ENV_VAR = "SKVAE_DATA_DIR"
MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
IDX_IMAGES, IDX_LABELS = 2051, 2049
BINARIZED_FILE = "binarized_mnist_larochelle_uint8.npz"
FREY_FILE = "frey_rawface.mat"
CALTECH_FILE = "caltech101_silhouettes_16.mat"
CALTECH_SIDE = 16


def _folders(path, subfolder):
    """Where to look, in order: the folder given (or $SKVAE_DATA_DIR), then its subfolder."""
    root = path if path is not None else os.environ.get(ENV_VAR)
    if root is None:
        raise FileNotFoundError(
            f"No data folder: pass path=... or set the environment variable {ENV_VAR} "
            f"to the folder that holds {subfolder}/. skvae never downloads data."
        )
    root = Path(root)
    return [root, root / subfolder]


def _find(folders, names, what):
    """The first existing file among ``names`` in ``folders``."""
    for folder in folders:
        for name in names:
            if (folder / name).is_file():
                return folder / name
    searched = ", ".join(str(f) for f in folders)
    raise FileNotFoundError(f"{what}: none of {', '.join(names)} found in {searched}.")


def _read_idx(file, magic, n_dims):
    """An IDX file (raw or gzip-compressed) of unsigned bytes, checked."""
    raw = file.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    header_size = 4 + 4 * n_dims
    if len(raw) < header_size:
        raise ValueError(f"{file} is not an IDX file: it has only {len(raw)} bytes.")
    header = np.frombuffer(raw[:header_size], dtype=">i4")
    if header[0] != magic:
        raise ValueError(f"{file} has magic number {header[0]}, expected {magic} "
                         f"(IDX, unsigned bytes, {n_dims} dimension(s)).")
    shape = tuple(int(d) for d in header[1:])
    if len(raw) - header_size != int(np.prod(shape)):
        raise ValueError(f"{file} declares shape {shape} ({int(np.prod(shape))} values) but "
                         f"holds {len(raw) - header_size} bytes of data.")
    return np.frombuffer(raw, dtype=np.uint8, offset=header_size).reshape(shape)


def _read_mat(file):
    """A MATLAB file's variables, or a ValueError that names the file."""
    from scipy.io import loadmat
    from scipy.io.matlab import MatReadError

    try:
        return loadmat(file)
    except (MatReadError, ValueError, OSError, IndexError, TypeError, EOFError) as exc:
        # scipy reports some corrupt files with IndexError or TypeError
        raise ValueError(f"{file} is not a readable MATLAB file: {exc}") from exc


def _bunch(images, scale, target, descr, return_X_y):
    """``data`` is ``images / scale`` flattened, in float32; ``images`` is a view of it."""
    data = (images.reshape(len(images), -1) / np.float32(scale)).astype(np.float32, copy=False)
    if return_X_y:
        return data, target
    return Bunch(data=data, images=data.reshape(images.shape), target=target, DESCR=descr)


def load_mnist(path=None, *, subset="train", return_X_y=False):
    """MNIST handwritten digits from the four IDX files (gzip-compressed or raw).

    Parameters
    ----------
    path : str or Path, optional
        Folder holding the files, or holding an ``mnist/`` folder with them.
        Default: ``$SKVAE_DATA_DIR``.
    subset : {"train", "test"}, default="train"
        60,000 training or 10,000 test images.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    Bunch with ``data`` (n, 784) float32 in [0, 1], ``images`` (n, 28, 28),
    ``target`` (n,) int64 labels and ``DESCR``.
    """
    if subset not in MNIST_FILES:
        raise ValueError(f"subset must be one of {sorted(MNIST_FILES)}, got {subset!r}.")
    folders = _folders(path, "mnist")
    image_name, label_name = MNIST_FILES[subset]
    images = _read_idx(_find(folders, [image_name + ".gz", image_name], "MNIST images"),
                       IDX_IMAGES, 3)
    labels = _read_idx(_find(folders, [label_name + ".gz", label_name], "MNIST labels"),
                       IDX_LABELS, 1)
    if len(images) != len(labels):
        raise ValueError(f"MNIST {subset}: {len(images)} images but {len(labels)} labels.")
    descr = (f"MNIST {subset} set (LeCun, Cortes and Burges): {len(images)} handwritten "
             "digits, 28 x 28 grey levels scaled to [0, 1].")
    return _bunch(images, 255, labels.astype(np.int64), descr, return_X_y)


def load_binarized_mnist(path=None, *, subset="train", return_X_y=False):
    """The fixed binarization of MNIST by Larochelle and Murray (2011).

    The standard benchmark for VAE negative log-likelihoods, read from an
    ``.npz`` file with uint8 {0, 1} arrays ``train`` (50,000 x 784),
    ``valid`` and ``test`` (10,000 x 784 each). It has no labels.

    Parameters
    ----------
    path : str or Path, optional
        Folder holding ``binarized_mnist_larochelle_uint8.npz``, or holding a
        ``binarized_mnist/`` folder with it. Default: ``$SKVAE_DATA_DIR``.
    subset : {"train", "valid", "test"}, default="train"
    return_X_y : bool, default=False
        Return ``(data, None)`` instead of a Bunch.

    Returns
    -------
    Bunch with ``data`` (n, 784) float32 in {0, 1}, ``images`` (n, 28, 28),
    ``target`` None and ``DESCR``.
    """
    subsets = ("train", "valid", "test")
    if subset not in subsets:
        raise ValueError(f"subset must be one of {list(subsets)}, got {subset!r}.")
    file = _find(_folders(path, "binarized_mnist"), [BINARIZED_FILE], "Binarized MNIST")
    try:
        with np.load(file, allow_pickle=False) as archive:
            names = archive.files
            data = archive[subset] if subset in names else None
    except (OSError, EOFError, ValueError) as exc:
        raise ValueError(f"{file} is not a readable .npz archive: {exc}") from exc
    if data is None:
        raise ValueError(f"{file} has arrays {sorted(names)}; expected {list(subsets)}.")
    if data.ndim != 2 or data.shape[1] != 784 or data.max(initial=0) > 1:
        raise ValueError(f"{file}[{subset!r}] should be n x 784 values in {{0, 1}}; got shape "
                         f"{data.shape} with maximum {data.max(initial=0)}.")
    descr = (f"Binarized MNIST {subset} set (Larochelle and Murray, 2011): {len(data)} "
             "images of 28 x 28 binary pixels, fixed binarization.")
    return _bunch(data.reshape(-1, 28, 28), 1, None, descr, return_X_y)


def load_frey_faces(path=None, *, return_X_y=False):
    """Frey Face: 1,965 images of Brendan Frey's face, 28 x 20 grey levels.

    The continuous data set of the AEVB paper, read from ``frey_rawface.mat``
    (MATLAB, key ``ff``, 560 x 1965 uint8, one image per column). It has no
    labels.

    Parameters
    ----------
    path : str or Path, optional
        Folder holding ``frey_rawface.mat``, or holding a ``frey_face/``
        folder with it. Default: ``$SKVAE_DATA_DIR``.
    return_X_y : bool, default=False
        Return ``(data, None)`` instead of a Bunch.

    Returns
    -------
    Bunch with ``data`` (1965, 560) float32 in [0, 1], ``images``
    (1965, 28, 20), ``target`` None and ``DESCR``.
    """
    file = _find(_folders(path, "frey_face"), [FREY_FILE], "Frey Face")
    faces = _read_mat(file).get("ff")
    if faces is None or faces.ndim != 2 or faces.shape[0] != 560:
        shape = None if faces is None else faces.shape
        raise ValueError(f"{file} should hold a 560 x n array 'ff' (one 28 x 20 image per "
                         f"column); found {shape}.")
    images = np.ascontiguousarray(faces.T).reshape(-1, 28, 20)
    descr = (f"Frey Face (Brendan Frey): {len(images)} video frames of one face, 28 x 20 grey "
             "levels scaled to [0, 1].")
    return _bunch(images, 255, None, descr, return_X_y)


def load_caltech101_silhouettes(path=None, *, return_X_y=False):
    """CalTech 101 Silhouettes (Marlin et al., 2010), 16 x 16 binary images.

    8,641 silhouettes of objects from the 101 classes of CalTech 101, read
    from ``caltech101_silhouettes_16.mat`` (MATLAB: ``X`` n x 256 uint8 in
    {0, 1}, each row one image stored column by column; ``Y`` the labels
    1 to 101; ``classnames``). The images are turned so that the objects
    stand upright, and ``data`` is ``images`` flattened row by row, as
    :func:`sklearn.datasets.load_digits` does. A pixel is 0 on the object
    and 1 on the background, as stored.

    Parameters
    ----------
    path : str or Path, optional
        Folder holding ``caltech101_silhouettes_16.mat``, or holding a
        ``caltech101_silhouettes/`` folder with it. Default:
        ``$SKVAE_DATA_DIR``.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    Bunch with ``data`` (8641, 256) float32 in {0, 1}, ``images``
    (8641, 16, 16), ``target`` (8641,) int64 class indices from 0 to 100,
    ``target_names`` (101,) the class names (``target_names[target]`` names
    each image's class) and ``DESCR``.
    """
    file = _find(_folders(path, "caltech101_silhouettes"), [CALTECH_FILE],
                 "CalTech 101 Silhouettes")
    contents = _read_mat(file)
    missing = [key for key in ("X", "Y", "classnames") if key not in contents]
    if missing:
        raise ValueError(f"{file} lacks the variable(s) {', '.join(missing)}; expected X "
                         "(n x 256 pixels), Y (n labels) and classnames.")
    pixels, labels = contents["X"], np.asarray(contents["Y"]).ravel()
    names = np.array([str(np.ravel(name)[0]) if np.size(name) else ""
                      for name in np.ravel(contents["classnames"])])
    side = CALTECH_SIDE
    if pixels.ndim != 2 or pixels.shape[1] != side * side or pixels.max(initial=0) > 1:
        raise ValueError(f"{file}: X should be n x {side * side} values in {{0, 1}}; got "
                         f"shape {pixels.shape} with maximum {pixels.max(initial=0)}.")
    if len(labels) != len(pixels):
        raise ValueError(f"{file}: {len(pixels)} images but {len(labels)} labels in Y.")
    if len(labels) and (labels.min() < 1 or labels.max() > len(names)):
        raise ValueError(f"{file}: labels in Y run from {labels.min()} to {labels.max()}, "
                         f"but there are {len(names)} class names (labels are 1 to "
                         f"{len(names)}).")
    # MATLAB stores each image column by column: transposing turns it upright
    images = pixels.reshape(-1, side, side).transpose(0, 2, 1)
    descr = (f"CalTech 101 Silhouettes (Marlin, Swersky, Chen and de Freitas, 2010): "
             f"{len(images)} binary {side} x {side} silhouettes of objects from "
             f"{len(names)} classes; 0 on the object, 1 on the background.")
    data, target = _bunch(np.ascontiguousarray(images), 1, labels.astype(np.int64) - 1,
                          descr, return_X_y=True)
    if return_X_y:
        return data, target
    return Bunch(data=data, images=data.reshape(images.shape), target=target,
                 target_names=names, DESCR=descr)
