"""`get_file`: download a file once into the cache, check its hash, and optionally extract it."""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile

#: Seconds a download may wait for the server before giving up.
DOWNLOAD_TIMEOUT = 60
_CHUNK = 1 << 16


def path_to_string(path):
    """`path` as a string if it is a `PathLike`, else unchanged."""
    if isinstance(path, os.PathLike):
        return os.fspath(path)
    return path


def resolve_hasher(algorithm: str, file_hash: str | None = None):
    """The hashlib object for `algorithm` ("sha256", "md5", or "auto": by the hash's length)."""
    if algorithm not in ("auto", "sha256", "md5"):
        raise ValueError(f'`hash_algorithm` must be "auto", "sha256" or "md5". Received: {algorithm!r}')
    if algorithm == "sha256" or (algorithm == "auto" and file_hash is not None and len(file_hash) == 64):
        return hashlib.sha256()
    # md5 only for the legacy hashes some published files still carry.
    return hashlib.md5()


def hash_file(fpath, algorithm: str = "sha256", chunk_size: int = _CHUNK) -> str:
    """The hex digest of a file (`"sha256"` by default, or `"md5"`).

    Args:
        fpath: the file.
        algorithm: "sha256", "md5", or "auto" (sha256).
        chunk_size: bytes read at a time.
    """
    hasher = resolve_hasher("sha256" if algorithm == "auto" else algorithm)
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash: str, algorithm: str = "auto", chunk_size: int = _CHUNK) -> bool:
    """Whether the file's hash is `file_hash` ("auto": sha256 for 64 hex digits, else md5)."""
    hasher = resolve_hasher(algorithm, file_hash)
    name = "sha256" if hasher.name == "sha256" else "md5"
    return hash_file(fpath, name, chunk_size) == str(file_hash).lower()


def _safe_members(archive, base_dir: str):
    """The members of an archive that stay inside `base_dir` (others are skipped, with a warning)."""
    base = os.path.realpath(base_dir)
    members = archive.infolist() if isinstance(archive, zipfile.ZipFile) else archive.getmembers()
    for member in members:
        name = member.filename if isinstance(member, zipfile.ZipInfo) else member.name
        target = os.path.realpath(os.path.join(base, name))
        inside = os.path.commonpath([target, base]) == base
        if inside and not isinstance(member, zipfile.ZipInfo) and (member.issym() or member.islnk()):
            link_base = base if member.islnk() else os.path.dirname(target)
            link = os.path.realpath(os.path.join(link_base, member.linkname))
            inside = os.path.commonpath([link, base]) == base
        if inside:
            yield member
        else:
            warnings.warn(f"Skipping invalid path during archive extraction: {name!r}.", stacklevel=3)


def extract_archive(file_path, path=".", archive_format="auto") -> bool:
    """Extracts a tar (`.tar`, `.tar.gz`, `.tar.bz2`) or zip archive into `path`.

    Members that would land outside `path` (absolute paths, `..`, links pointing out)
    are skipped. The extraction is atomic: it happens in a temporary folder beside
    `path`, which then replaces `path`.

    Args:
        file_path: the archive.
        path: the folder to extract into.
        archive_format: "auto" (tar, then zip), "tar", "zip", a list of these, or None.

    Returns:
        Whether the file was an archive of one of the formats (and was extracted).
    """
    if archive_format is None:
        return False
    if archive_format == "auto":
        archive_format = ["tar", "zip"]
    if isinstance(archive_format, str):
        archive_format = [archive_format]
    file_path, path = path_to_string(file_path), path_to_string(path)
    for kind in archive_format:
        if kind == "tar":
            is_match, opener = tarfile.is_tarfile, tarfile.open
        elif kind == "zip":
            is_match, opener = zipfile.is_zipfile, zipfile.ZipFile
        else:
            raise ValueError(f'`archive_format` entries must be "tar" or "zip". Received: {kind!r}')
        if not is_match(file_path):
            continue
        parent = os.path.dirname(os.path.abspath(path))
        os.makedirs(parent, exist_ok=True)
        staging = tempfile.mkdtemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=parent)
        try:
            with opener(file_path) as archive:
                members = list(_safe_members(archive, staging))
                if isinstance(archive, tarfile.TarFile) and hasattr(tarfile, "data_filter"):
                    archive.extractall(staging, members=members, filter="data")
                else:
                    archive.extractall(staging, members=members)
            if os.path.isdir(path):
                shutil.rmtree(path)
            elif os.path.exists(path):
                os.remove(path)
            os.replace(staging, path)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return True
    return False


def _default_cache_dir() -> str:
    from kerasish.backend import config_dir

    return config_dir()


def _create_part_file(target: str) -> tuple[int, str]:
    """A new temporary file beside `target`: `(fd, path)`.

    Opened with mode 0o666 (less the umask), so that once renamed the cached file has
    the permissions of any file the user creates, which `mkstemp`'s 0o600 would not give.
    """
    folder, name = os.path.split(target)
    for _ in range(100):
        path = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.part")
        try:
            return os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_BINARY", 0), 0o666), path
        except FileExistsError:
            continue
    raise FileExistsError(f"Could not create a temporary file beside {target!r}.")


def _download(origin: str, target: str, file_hash: str | None, hash_algorithm: str) -> None:
    """Downloads `origin` to a temporary file beside `target`, checks it, then renames it.

    A failed or interrupted download, or a file with the wrong hash, never takes the
    place of `target`: the temporary file is removed and the error raised.
    """
    from kerasish.utils.progbar import Progbar

    print(f"Downloading data from {origin}", file=sys.stdout)
    fd, temp = _create_part_file(target)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                response = urllib.request.urlopen(origin, timeout=DOWNLOAD_TIMEOUT)
            except urllib.error.HTTPError as e:
                raise OSError(f"URL fetch failure on {origin}: {e.code} -- {e.reason}") from e
            except urllib.error.URLError as e:
                raise OSError(f"URL fetch failure on {origin}: {getattr(e, 'errno', None)} -- {e.reason}") from e
            with response:
                length = response.headers.get("Content-Length")
                total = int(length) if length and length.isdigit() else None
                progbar = Progbar(total, unit_name="byte")
                done = 0
                for chunk in iter(lambda: response.read(_CHUNK), b""):
                    out.write(chunk)
                    done += len(chunk)
                    progbar.update(done)
                progbar.update(done, finalize=True)
            if total is not None and done != total:
                raise OSError(f"URL fetch failure on {origin}: received {done} of {total} bytes.")
            out.flush()
            os.fsync(out.fileno())
        if file_hash is not None and not validate_file(temp, file_hash, algorithm=hash_algorithm):
            hasher = resolve_hasher(hash_algorithm, file_hash)
            name = "sha256" if hasher.name == "sha256" else "md5"
            raise ValueError(
                f"Incomplete or corrupted file detected. The {name} file hash does not match the "
                f"provided value of {file_hash}: the file from {origin} has {name} "
                f"{hash_file(temp, name)}. It was removed."
            )
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temp)
        raise


def get_file(
    fname=None,
    origin: str | None = None,
    untar: bool = False,
    md5_hash: str | None = None,
    file_hash: str | None = None,
    cache_subdir: str = "datasets",
    hash_algorithm: str = "auto",
    extract: bool = False,
    archive_format="auto",
    cache_dir=None,
    force_download: bool = False,
) -> str:
    """Downloads a file from a URL unless it is already in the cache; returns its path.

    The file at `origin` is saved as `cache_dir/cache_subdir/fname`: by default
    `~/.kerasish/datasets/fname` (or `$KERASISH_HOME/datasets/fname`). A cached file
    whose hash does not match `file_hash` is downloaded again. The download goes to a
    temporary file that replaces the target only once complete and checked, so an
    interrupted or corrupted download never sits in the cache.

    >>> path = get_file(origin="https://example.com/flowers.tgz", extract=True)  # doctest: +SKIP

    Args:
        fname: the file's name in the cache (default: the last part of `origin`'s
            path). With `extract`, a name without an extension names the extraction
            folder (the archive is kept as `<fname>_archive`); a name with one is the
            archive's name (extracted into `<stem>_extracted`).
        origin: the URL of the file.
        untar: deprecated; same as `extract=True` with `archive_format="tar"`.
        md5_hash: deprecated; an md5 `file_hash`.
        file_hash: the expected sha256 (or md5) hex digest of the file.
        cache_subdir: the folder under `cache_dir` (an absolute path is used as is).
        hash_algorithm: "auto" (by the hash's length), "sha256" or "md5".
        extract: extract the file (a tar or zip archive); the extraction folder's path
            is returned.
        archive_format: "auto", "tar", "zip", or None.
        cache_dir: the cache's root (default: `$KERASISH_HOME`, else `~/.kerasish`).
        force_download: download even if a good copy is cached.

    Returns:
        The path of the downloaded file, or of the extraction folder with `extract`.

    Raises:
        ValueError: without `origin`, for a `fname` that is a path, or when the
            downloaded file does not have `file_hash`.
        OSError: when the download fails.
    """
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    if cache_dir is None:
        cache_dir = _default_cache_dir()
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    resolve_hasher(hash_algorithm, file_hash)  # validates the algorithm's name early
    base = os.path.expanduser(path_to_string(cache_dir))
    try:
        os.makedirs(base, exist_ok=True)
        writable = os.access(base, os.W_OK)
    except OSError:
        writable = False
    if not writable:
        # As Keras does: a read-only home still gets a cache, in the temporary folder.
        base = os.path.join(tempfile.gettempdir(), ".kerasish")
    datadir = os.path.join(base, cache_subdir)
    os.makedirs(datadir, exist_ok=True)

    provided = path_to_string(fname)
    fname = provided
    if not fname:
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise ValueError(
                f"Can't parse the file name from the origin provided: {origin!r}. Please specify the `fname` argument."
            )
    elif os.sep in fname or (os.altsep and os.altsep in fname):
        raise ValueError(
            "Paths are not accepted as the `fname` argument. To choose the file's folder, use "
            f"`cache_dir` and `cache_subdir`. Received: fname={fname!r}"
        )

    extracting = extract or untar
    if extracting:
        if provided and "." in fname:
            download_target = os.path.join(datadir, fname)
            extraction_dir = os.path.join(datadir, f"{fname[: fname.find('.')]}_extracted")
        else:
            extraction_dir = os.path.join(datadir, fname)
            download_target = os.path.join(datadir, f"{fname}_archive")
    else:
        download_target = os.path.join(datadir, fname)

    download = force_download or not os.path.exists(download_target)
    if not download and file_hash is not None and not validate_file(download_target, file_hash, hash_algorithm):
        print(
            "A local file was found, but it seems to be incomplete or outdated because its hash "
            f"does not match the original value of {file_hash}, so we will re-download the data."
        )
        download = True
    if download:
        _download(origin, download_target, file_hash, hash_algorithm)

    if extracting:
        if download or not os.path.isdir(extraction_dir):
            if not extract_archive(download_target, extraction_dir, "tar" if untar else archive_format):
                warnings.warn(f"Could not extract archive {download_target!r}: not a tar or zip file.", stacklevel=2)
        return extraction_dir
    return download_target
