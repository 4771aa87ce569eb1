"""get_file and the dataset loaders, against small files in the real formats served from 127.0.0.1."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import json
import os
import pickle
import tarfile
import threading
import zipfile

import numpy as np
import pytest

import kerasish as keras
from kerasish.datasets import boston_housing, cifar10, fashion_mnist, imdb, mnist
from kerasish.datasets.safe_loading import load_npz
from kerasish.utils import file_utils
from kerasish.utils.file_utils import get_file

SERVER_LIFETIME_S = 60


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the test's folder; records each path asked for; can cut a file short."""

    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass

    def do_GET(self):  # noqa: N802 - the base class's name
        self.server.requests.append(self.path)
        if self.path in self.server.truncated:
            body = self.server.truncated[self.path]
            self.send_response(200)
            self.send_header("Content-Length", str(len(body) * 2))  # promises more than it sends
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()


class LocalServer:
    """An HTTP server on 127.0.0.1 in a thread; it shuts itself down after SERVER_LIFETIME_S."""

    def __init__(self, root):
        self.root = root

        def handler(*args, **kwargs):
            return _Handler(*args, directory=str(root), **kwargs)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.requests = []
        self.httpd.truncated = {}
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.timer = threading.Timer(SERVER_LIFETIME_S, self.httpd.shutdown)
        self.timer.daemon = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    @property
    def requests(self) -> list[str]:
        return self.httpd.requests

    def put(self, name: str, data: bytes) -> str:
        """Writes a file to serve; returns its SHA-256."""
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return hashlib.sha256(data).hexdigest()

    def __enter__(self):
        self.thread.start()
        self.timer.start()
        return self

    def __exit__(self, *exc):
        self.timer.cancel()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "served"
    root.mkdir()
    with LocalServer(root) as s:
        yield s


@pytest.fixture
def home(tmp_path, monkeypatch):
    """The cache root: $KERASISH_HOME points at a fresh folder."""
    path = tmp_path / "home"
    monkeypatch.setenv("KERASISH_HOME", str(path))
    return path


def _npz_bytes(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _read(path) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _leftovers(folder) -> list[str]:
    return [name for name in os.listdir(folder) if name.startswith(".")]


# ------------------------------------------------------------------ get_file
def test_get_file_downloads_once_into_kerasish_home(server, home, capsys):
    digest = server.put("a.txt", b"hello")
    path = get_file("a.txt", origin=server.url + "a.txt", file_hash=digest)
    assert path == str(home / "datasets" / "a.txt")
    assert _read(path) == b"hello"
    assert "Downloading data from" in capsys.readouterr().out
    assert get_file("a.txt", origin=server.url + "a.txt", file_hash=digest) == path
    assert server.requests == ["/a.txt"]  # the second call used the cache
    # fname defaults to the URL's last part; cache_dir and cache_subdir move the file.
    other = get_file(origin=server.url + "a.txt", cache_dir=home / "elsewhere", cache_subdir="sub")
    assert other == str(home / "elsewhere" / "sub" / "a.txt")
    assert _leftovers(home / "datasets") == []


def test_get_file_default_home_is_dot_kerasish(server, tmp_path, monkeypatch):
    monkeypatch.delenv("KERASISH_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    server.put("b.bin", b"\x00\x01")
    path = get_file("b.bin", origin=server.url + "b.bin")
    assert path == str(tmp_path / "user" / ".kerasish" / "datasets" / "b.bin")


def test_get_file_hash_mismatch_raises_and_removes_the_file(server, home):
    server.put("bad.bin", b"not what was published")
    expected = hashlib.sha256(b"the published bytes").hexdigest()
    with pytest.raises(ValueError, match="hash does not match the provided value of " + expected):
        get_file("bad.bin", origin=server.url + "bad.bin", file_hash=expected)
    assert not (home / "datasets" / "bad.bin").exists()
    assert _leftovers(home / "datasets") == []
    md5 = hashlib.md5(b"other").hexdigest()  # 32 digits: md5, as "auto" decides
    with pytest.raises(ValueError, match="md5 file hash does not match"):
        get_file("bad.bin", origin=server.url + "bad.bin", file_hash=md5)


def test_get_file_redownloads_a_corrupted_cache_entry(server, home, capsys):
    digest = server.put("c.bin", b"good bytes")
    target = home / "datasets" / "c.bin"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"half a fi")
    path = get_file("c.bin", origin=server.url + "c.bin", file_hash=digest)
    assert _read(path) == b"good bytes"
    assert "re-download" in capsys.readouterr().out
    assert server.requests == ["/c.bin"]


def test_get_file_interrupted_download_leaves_no_file(server, home):
    good = server.put("d.bin", b"version one")
    path = get_file("d.bin", origin=server.url + "d.bin", file_hash=good)
    server.httpd.truncated["/d.bin"] = b"version two, cut"
    with pytest.raises(OSError, match="URL fetch failure"):
        get_file("d.bin", origin=server.url + "d.bin", force_download=True)
    # The earlier good copy is still in place, and no partial file was left beside it.
    assert _read(path) == b"version one"
    assert _leftovers(home / "datasets") == []
    with pytest.raises(OSError, match="URL fetch failure on .*missing.bin: 404"):
        get_file("missing.bin", origin=server.url + "missing.bin")
    assert not (home / "datasets" / "missing.bin").exists()


def test_get_file_argument_errors(home):
    with pytest.raises(ValueError, match='specify the "origin"'):
        get_file("x.bin")
    with pytest.raises(ValueError, match="Paths are not accepted as the `fname`"):
        get_file(os.path.join("sub", "x.bin"), origin="http://127.0.0.1:9/x.bin")
    with pytest.raises(ValueError, match="hash_algorithm"):
        get_file("x.bin", origin="http://127.0.0.1:9/x.bin", hash_algorithm="sha1")
    with pytest.raises(ValueError, match="Can't parse the file name"):
        get_file(origin="http://127.0.0.1:9/")


def _tar_bytes(files: dict[str, bytes], extra=None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if extra is not None:
            extra(tar)
    return buffer.getvalue()


def test_get_file_extracts_tar_and_zip_safely(server, home):
    def evil(tar):
        info = tarfile.TarInfo("../escaped.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"!"))

    digest = server.put("pack.tar.gz", _tar_bytes({"pack/a.txt": b"A", "pack/b/c.txt": b"C"}, extra=evil))
    with pytest.warns(UserWarning, match="Skipping invalid path during archive extraction: '../escaped.txt'"):
        folder = get_file("pack", origin=server.url + "pack.tar.gz", file_hash=digest, extract=True)
    assert folder == str(home / "datasets" / "pack")
    assert _read(os.path.join(folder, "pack", "b", "c.txt")) == b"C"
    assert os.path.isfile(home / "datasets" / "pack_archive")
    assert not (home / "escaped.txt").exists() and not (home / "datasets" / "escaped.txt").exists()
    # Cached: neither downloaded nor extracted again.
    assert get_file("pack", origin=server.url + "pack.tar.gz", file_hash=digest, extract=True) == folder
    assert server.requests == ["/pack.tar.gz"]

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("inner/z.txt", "zipped")
    server.put("arch.zip", buffer.getvalue())
    folder = get_file("arch.zip", origin=server.url + "arch.zip", extract=True)
    assert folder == str(home / "datasets" / "arch_extracted")
    assert _read(os.path.join(folder, "inner", "z.txt")) == b"zipped"
    assert _leftovers(home / "datasets") == []


def test_hash_file_and_validate_file(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    assert file_utils.hash_file(path) == hashlib.sha256(b"abc").hexdigest()
    assert file_utils.hash_file(path, "md5") == hashlib.md5(b"abc").hexdigest()
    assert file_utils.validate_file(path, hashlib.sha256(b"abc").hexdigest().upper())
    assert not file_utils.validate_file(path, hashlib.md5(b"abd").hexdigest())


# ------------------------------------------------------------------ loaders
def test_loaders_use_keras_urls_and_hashes():
    base = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
    assert mnist.ORIGIN_FOLDER == fashion_mnist.ORIGIN_FOLDER == imdb.ORIGIN_FOLDER == base
    assert boston_housing.ORIGIN_FOLDER == base
    assert cifar10.ORIGIN == "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    assert mnist.FILE_HASH == "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
    assert cifar10.FILE_HASH == "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
    assert imdb.FILE_HASH == "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
    assert boston_housing.FILE_HASH == "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"
    assert len(fashion_mnist.FILE_HASHES) == 4 and all(len(h) == 64 for h in fashion_mnist.FILE_HASHES.values())
    assert keras.datasets.mnist is mnist


def test_mnist_load_data(server, home, monkeypatch, backend):
    rng = np.random.default_rng(0)
    x_train = rng.integers(0, 256, size=(12, 28, 28), dtype=np.uint8)
    y_train = rng.integers(0, 10, size=12).astype(np.uint8)
    x_test, y_test = x_train[:4], y_train[:4]
    digest = server.put("mnist.npz", _npz_bytes(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test))
    monkeypatch.setattr(mnist, "ORIGIN_FOLDER", server.url)
    monkeypatch.setattr(mnist, "FILE_HASH", digest)
    (a, b), (c, d) = keras.datasets.mnist.load_data()
    np.testing.assert_array_equal(a, x_train)
    np.testing.assert_array_equal(b, y_train)
    np.testing.assert_array_equal(c, x_test)
    assert a.dtype == np.uint8 and d.shape == (4,)
    keras.datasets.mnist.load_data()
    assert server.requests == ["/mnist.npz"]
    # The data trains as is.
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.fit(a / 255.0, b, epochs=1, verbose=0)


def test_mnist_refuses_the_published_hash_for_other_bytes(server, home, monkeypatch):
    server.put("mnist.npz", _npz_bytes(x_train=np.zeros((1, 28, 28), np.uint8)))
    monkeypatch.setattr(mnist, "ORIGIN_FOLDER", server.url)
    with pytest.raises(ValueError, match="Incomplete or corrupted file detected.*" + mnist.FILE_HASH):
        mnist.load_data()
    assert not (home / "datasets" / "mnist.npz").exists()


def _idx(data: np.ndarray, header: int) -> bytes:
    return gzip.compress(b"\x00" * header + data.astype(np.uint8).tobytes())


def test_fashion_mnist_load_data(server, home, monkeypatch):
    rng = np.random.default_rng(1)
    x_train = rng.integers(0, 256, size=(6, 28, 28), dtype=np.uint8)
    y_train = np.arange(6, dtype=np.uint8)
    x_test = rng.integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
    y_test = np.array([9, 8, 7], np.uint8)
    hashes = {
        "train-labels-idx1-ubyte.gz": server.put("train-labels-idx1-ubyte.gz", _idx(y_train, 8)),
        "train-images-idx3-ubyte.gz": server.put("train-images-idx3-ubyte.gz", _idx(x_train, 16)),
        "t10k-labels-idx1-ubyte.gz": server.put("t10k-labels-idx1-ubyte.gz", _idx(y_test, 8)),
        "t10k-images-idx3-ubyte.gz": server.put("t10k-images-idx3-ubyte.gz", _idx(x_test, 16)),
    }
    monkeypatch.setattr(fashion_mnist, "ORIGIN_FOLDER", server.url)
    monkeypatch.setattr(fashion_mnist, "FILE_HASHES", hashes)
    (a, b), (c, d) = fashion_mnist.load_data()
    np.testing.assert_array_equal(a, x_train)
    np.testing.assert_array_equal(b, y_train)
    np.testing.assert_array_equal(c, x_test)
    np.testing.assert_array_equal(d, y_test)
    assert os.path.isfile(home / "datasets" / "fashion-mnist" / "t10k-labels-idx1-ubyte.gz")
    fashion_mnist.load_data()
    assert len(server.requests) == 4


def _cifar_batch(images_chw: np.ndarray, labels: list[int]) -> bytes:
    # The published batches are Python-2 pickles of dicts with bytes keys.
    d = {
        b"batch_label": b"test batch",
        b"labels": labels,
        b"data": images_chw.reshape(len(labels), -1),
        b"filenames": [b"img%d.png" % i for i in range(len(labels))],
    }
    return pickle.dumps(d, protocol=2)


def test_cifar10_load_data(server, home, monkeypatch):
    rng = np.random.default_rng(2)
    files, train_images, train_labels = {}, [], []
    for i in range(1, 6):
        images = rng.integers(0, 256, size=(2, 3, 32, 32), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, 10, size=2)]
        files[f"cifar-10-batches-py/data_batch_{i}"] = _cifar_batch(images, labels)
        train_images.append(images)
        train_labels += labels
    test_images = rng.integers(0, 256, size=(3, 3, 32, 32), dtype=np.uint8)
    files["cifar-10-batches-py/test_batch"] = _cifar_batch(test_images, [1, 2, 3])
    digest = server.put("cifar-10-python.tar.gz", _tar_bytes(files))
    monkeypatch.setattr(cifar10, "ORIGIN", server.url + "cifar-10-python.tar.gz")
    monkeypatch.setattr(cifar10, "FILE_HASH", digest)
    (a, b), (c, d) = cifar10.load_data()
    assert a.shape == (10, 32, 32, 3) and a.dtype == np.uint8
    assert b.shape == (10, 1) and b.dtype == np.uint8 and d.shape == (3, 1)
    np.testing.assert_array_equal(a, np.concatenate(train_images).transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(b[:, 0], train_labels)
    np.testing.assert_array_equal(c, test_images.transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(d[:, 0], [1, 2, 3])
    cifar10.load_data()
    assert server.requests == ["/cifar-10-python.tar.gz"]
    previous = keras.config.image_data_format()
    keras.config.set_image_data_format("channels_first")
    try:
        (a, _), _ = cifar10.load_data()
    finally:
        keras.config.set_image_data_format(previous)
    assert a.shape == (10, 3, 32, 32)


def _ragged(sequences) -> np.ndarray:
    out = np.empty(len(sequences), dtype=object)
    for i, s in enumerate(sequences):
        out[i] = list(s)
    return out


def test_imdb_load_data_and_word_index(server, home, monkeypatch):
    x_train = _ragged([[1, 2, 3], [4, 5], [6, 7, 8, 9]])
    x_test = _ragged([[9, 1], [2, 2, 2]])
    y_train, y_test = np.array([1, 0, 1]), np.array([0, 1])
    digest = server.put("imdb.npz", _npz_bytes(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test))
    word_index = {"the": 1, "a": 2}
    md5 = hashlib.md5(json.dumps(word_index).encode()).hexdigest()
    server.put("imdb_word_index.json", json.dumps(word_index).encode())
    monkeypatch.setattr(imdb, "ORIGIN_FOLDER", server.url)
    monkeypatch.setattr(imdb, "FILE_HASH", digest)
    monkeypatch.setattr(imdb, "WORD_INDEX_HASH", md5)

    (a, b), (c, d) = imdb.load_data(seed=0)
    order = np.arange(3)
    rng = np.random.RandomState(0)
    rng.shuffle(order)
    test_order = np.arange(2)
    rng.shuffle(test_order)
    assert a.dtype == object and a.shape == (3,) and c.shape == (2,)

    def shifted(w):
        # As in Keras, num_words defaults to the largest index, which itself becomes OOV.
        return w + 3 if w + 3 < 12 else 2

    assert [list(s) for s in a] == [[1] + [shifted(w) for w in x_train[i]] for i in order]
    np.testing.assert_array_equal(b, y_train[order])
    assert [list(s) for s in c] == [[1] + [shifted(w) for w in x_test[i]] for i in test_order]
    np.testing.assert_array_equal(d, y_test[test_order])

    # num_words cuts rare words to oov_char; skip_top the most frequent; maxlen drops long ones.
    (a, b), _ = imdb.load_data(seed=0, num_words=8, skip_top=5, maxlen=5, start_char=None, oov_char=2)
    expected = [[w + 3 if 5 <= w + 3 < 8 else 2 for w in x_train[i]] for i in order if len(x_train[i]) < 5]
    assert [list(s) for s in a] == expected
    (a, _), _ = imdb.load_data(seed=0, num_words=6, oov_char=None, index_from=0, start_char=None)
    assert [list(s) for s in a] == [[w for w in x_train[i] if w < 6] for i in order]
    with pytest.raises(ValueError, match="no sequence was kept"):
        imdb.load_data(maxlen=1)
    assert imdb.get_word_index() == word_index
    assert server.requests.count("/imdb.npz") == 1


def test_boston_housing_load_data(server, home, monkeypatch):
    x = np.arange(10 * 13, dtype="float64").reshape(10, 13)
    y = np.arange(10, dtype="float64")
    digest = server.put("boston_housing.npz", _npz_bytes(x=x, y=y))
    monkeypatch.setattr(boston_housing, "ORIGIN_FOLDER", server.url)
    monkeypatch.setattr(boston_housing, "FILE_HASH", digest)
    (a, b), (c, d) = boston_housing.load_data(test_split=0.3, seed=5)
    order = np.arange(10)
    np.random.RandomState(5).shuffle(order)
    np.testing.assert_array_equal(a, x[order[:7]])
    np.testing.assert_array_equal(b, y[order[:7]])
    np.testing.assert_array_equal(c, x[order[7:]])
    assert d.shape == (3,)
    with pytest.raises(ValueError, match="test_split"):
        boston_housing.load_data(test_split=1.0)


class _Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_dataset_files_cannot_run_code(tmp_path):
    path = tmp_path / "evil.npz"
    evil = np.empty(1, dtype=object)
    evil[0] = _Exploit()
    np.savez(path, x_train=evil)
    with pytest.raises(pickle.UnpicklingError, match="Refusing to load `posix.system`|Refusing to load `os.system`"):
        load_npz(path)
    np.savez(tmp_path / "fine.npz", a=np.arange(3), b=_ragged([[1], [2, 3]]))
    arrays = load_npz(tmp_path / "fine.npz")
    np.testing.assert_array_equal(arrays["a"], np.arange(3))
    assert [list(s) for s in arrays["b"]] == [[1], [2, 3]]
