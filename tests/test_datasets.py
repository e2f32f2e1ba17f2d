"""Dataset loaders on small files the tests write themselves (never ../shared)."""

import gzip

import numpy as np
import pytest
from scipy.io import savemat

from skvae import datasets

RNG = np.random.default_rng(0)


def write_idx(path, array, magic, compress):
    header = np.array([magic, *array.shape], dtype=">i4").tobytes()
    payload = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(payload) if compress else payload)


def write_mnist(folder, subset="train", n=7, compress=True):
    folder.mkdir(parents=True, exist_ok=True)
    images = RNG.integers(0, 256, (n, 28, 28))
    labels = RNG.integers(0, 10, n)
    image_name, label_name = datasets.MNIST_FILES[subset]
    suffix = ".gz" if compress else ""
    write_idx(folder / (image_name + suffix), images, 2051, compress)
    write_idx(folder / (label_name + suffix), labels, 2049, compress)
    return images, labels


@pytest.mark.parametrize("compress", [True, False])
@pytest.mark.parametrize("subset", ["train", "test"])
def test_mnist_reads_idx_files(tmp_path, compress, subset):
    images, labels = write_mnist(tmp_path, subset, compress=compress)
    bunch = datasets.load_mnist(tmp_path, subset=subset)
    np.testing.assert_allclose(bunch.data, images.reshape(7, -1) / 255, rtol=1e-6)
    assert bunch.data.dtype == np.float32 and bunch.images.shape == (7, 28, 28)
    np.testing.assert_array_equal(bunch.target, labels)
    assert "MNIST" in bunch.DESCR
    X, y = datasets.load_mnist(tmp_path, subset=subset, return_X_y=True)
    np.testing.assert_array_equal(X, bunch.data)
    np.testing.assert_array_equal(y, labels)


def test_the_data_folder_comes_from_the_environment_and_its_subfolder(tmp_path, monkeypatch):
    _, labels = write_mnist(tmp_path / "mnist")
    monkeypatch.setenv("SKVAE_DATA_DIR", str(tmp_path))
    np.testing.assert_array_equal(datasets.load_mnist().target, labels)


def test_no_folder_at_all_says_how_to_give_one(monkeypatch):
    monkeypatch.delenv("SKVAE_DATA_DIR", raising=False)
    with pytest.raises(FileNotFoundError, match="SKVAE_DATA_DIR.*never downloads"):
        datasets.load_mnist()


def test_missing_files_name_the_files_and_the_folders_searched(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"train-images-idx3-ubyte\.gz.*" +
                       str(tmp_path / "mnist")):
        datasets.load_mnist(tmp_path)
    with pytest.raises(FileNotFoundError, match="frey_rawface.mat"):
        datasets.load_frey_faces(tmp_path)
    with pytest.raises(FileNotFoundError, match="binarized_mnist_larochelle_uint8.npz"):
        datasets.load_binarized_mnist(tmp_path)


def test_corrupt_idx_files_are_refused_with_the_reason(tmp_path):
    write_mnist(tmp_path)
    images = tmp_path / "train-images-idx3-ubyte.gz"
    write_idx(images, RNG.integers(0, 256, (7, 28, 28)), 2049, compress=True)
    with pytest.raises(ValueError, match="magic number 2049, expected 2051"):
        datasets.load_mnist(tmp_path)
    header = np.array([2051, 7, 28, 28], ">i4").tobytes()
    images.write_bytes(gzip.compress(header + b"\0" * 100))
    with pytest.raises(ValueError, match=r"declares shape \(7, 28, 28\).*100 bytes"):
        datasets.load_mnist(tmp_path)
    images.write_bytes(b"\0\0")
    with pytest.raises(ValueError, match="not an IDX file"):
        datasets.load_mnist(tmp_path)


def test_mnist_with_mismatched_labels_is_refused(tmp_path):
    write_mnist(tmp_path, n=7)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(5), 2049, compress=True)
    with pytest.raises(ValueError, match="7 images but 5 labels"):
        datasets.load_mnist(tmp_path)


def test_binarized_mnist_reads_each_subset(tmp_path):
    arrays = {s: RNG.integers(0, 2, (n, 784)).astype(np.uint8)
              for s, n in [("train", 5), ("valid", 3), ("test", 4)]}
    np.savez(tmp_path / datasets.BINARIZED_FILE, **arrays)
    for subset, expected in arrays.items():
        bunch = datasets.load_binarized_mnist(tmp_path, subset=subset)
        np.testing.assert_array_equal(bunch.data, expected)
        assert bunch.target is None and bunch.images.shape == (len(expected), 28, 28)
    with pytest.raises(ValueError, match="subset must be one of"):
        datasets.load_binarized_mnist(tmp_path, subset="validation")


def test_corrupt_binarized_mnist_is_refused(tmp_path):
    np.savez(tmp_path / datasets.BINARIZED_FILE, train=np.full((2, 784), 7, np.uint8))
    with pytest.raises(ValueError, match=r"values in \{0, 1\}.*maximum 7"):
        datasets.load_binarized_mnist(tmp_path)
    with pytest.raises(ValueError, match=r"has arrays \['train'\]"):
        datasets.load_binarized_mnist(tmp_path, subset="test")
    (tmp_path / datasets.BINARIZED_FILE).write_bytes(b"not a zip archive")
    with pytest.raises(ValueError, match="not a readable .npz"):
        datasets.load_binarized_mnist(tmp_path)


def test_frey_faces_reads_one_image_per_column(tmp_path):
    images = RNG.integers(0, 256, (4, 28, 20)).astype(np.uint8)
    savemat(tmp_path / datasets.FREY_FILE, {"ff": images.reshape(4, -1).T})
    bunch = datasets.load_frey_faces(tmp_path)
    np.testing.assert_allclose(bunch.images, images / 255, rtol=1e-6)
    assert bunch.data.shape == (4, 560) and bunch.target is None


def test_corrupt_frey_faces_are_refused(tmp_path):
    savemat(tmp_path / datasets.FREY_FILE, {"faces": np.zeros((560, 2))})
    with pytest.raises(ValueError, match="560 x n array 'ff'.*found None"):
        datasets.load_frey_faces(tmp_path)
    (tmp_path / datasets.FREY_FILE).write_bytes(b"garbage that is not MATLAB")
    with pytest.raises(ValueError, match="not a readable MATLAB file"):
        datasets.load_frey_faces(tmp_path)


def write_caltech(folder, images, labels, names):
    """The file's layout: each row of X is one image stored column by column (MATLAB)."""
    folder.mkdir(parents=True, exist_ok=True)
    pixels = images.transpose(0, 2, 1).reshape(len(images), -1).astype(np.uint8)
    classnames = np.empty((1, len(names)), dtype=object)
    classnames[0, :] = [np.array([name]) for name in names]
    savemat(folder / datasets.CALTECH_FILE,
            {"X": pixels, "Y": np.asarray(labels, np.uint8)[None, :], "classnames": classnames})


def test_caltech_silhouettes_stand_upright_with_their_class_names(tmp_path, monkeypatch):
    # an "L": a vertical bar on the left and a foot along the bottom tells
    # an upright image from its transpose
    upright = np.ones((16, 16), np.uint8)
    upright[2:14, 3] = 0
    upright[13, 3:10] = 0
    images = np.stack([upright, 1 - upright, upright])
    write_caltech(tmp_path / "caltech101_silhouettes", images, [2, 1, 3],
                  ["Airplanes Side 2", "Faces 2", "anchor"])
    monkeypatch.setenv("SKVAE_DATA_DIR", str(tmp_path))
    bunch = datasets.load_caltech101_silhouettes()
    np.testing.assert_array_equal(bunch.images, images)
    np.testing.assert_array_equal(bunch.data, images.reshape(3, 256))
    assert bunch.data.dtype == np.float32 and bunch.images.shape == (3, 16, 16)
    np.testing.assert_array_equal(bunch.target, [1, 0, 2])
    assert list(bunch.target_names[bunch.target]) == ["Faces 2", "Airplanes Side 2", "anchor"]
    assert "CalTech 101 Silhouettes" in bunch.DESCR and "3 classes" in bunch.DESCR
    X, y = datasets.load_caltech101_silhouettes(return_X_y=True)
    np.testing.assert_array_equal(X, bunch.data)
    np.testing.assert_array_equal(y, bunch.target)


def test_corrupt_caltech_silhouettes_are_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="caltech101_silhouettes_16.mat"):
        datasets.load_caltech101_silhouettes(tmp_path)
    images = np.ones((2, 16, 16), np.uint8)
    write_caltech(tmp_path, images, [1, 4], ["a", "b"])
    with pytest.raises(ValueError, match="labels in Y run from 1 to 4, but there are 2"):
        datasets.load_caltech101_silhouettes(tmp_path)
    write_caltech(tmp_path, images * 255, [1, 2], ["a", "b"])
    with pytest.raises(ValueError, match=r"n x 256 values in \{0, 1\}.*maximum 255"):
        datasets.load_caltech101_silhouettes(tmp_path)
    savemat(tmp_path / datasets.CALTECH_FILE, {"X": np.zeros((2, 256)), "Y": np.ones((1, 3))})
    with pytest.raises(ValueError, match="lacks the variable.*classnames"):
        datasets.load_caltech101_silhouettes(tmp_path)
    savemat(tmp_path / datasets.CALTECH_FILE,
            {"X": np.zeros((2, 256)), "Y": np.ones((1, 3)), "classnames": np.array(["a"])})
    with pytest.raises(ValueError, match="2 images but 3 labels"):
        datasets.load_caltech101_silhouettes(tmp_path)
    (tmp_path / datasets.CALTECH_FILE).write_bytes(b"garbage that is not MATLAB")
    with pytest.raises(ValueError, match="not a readable MATLAB file"):
        datasets.load_caltech101_silhouettes(tmp_path)
