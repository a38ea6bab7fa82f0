"""Optional downloads with SHA-256 verification and atomic writes.

Nothing in lecturekit touches the network unless a caller passes ``download=True``. A file is
streamed to a temporary name in the destination folder, its SHA-256 is checked, and only then is
it renamed into place, so an interrupted or corrupted download never leaves a file that looks
complete.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

from .utils import check_path, check_positive_float

__all__ = ["sha256_of", "fetch"]

_CHUNK = 1 << 20


def sha256_of(path: str | os.PathLike) -> str:
    """The hex SHA-256 digest of a file, read in 1 MiB chunks."""
    path = check_path("path", path)
    if not path.is_file():
        raise FileNotFoundError(f"path {str(path)!r} is not a file that exists")
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(url: str, dest: str | os.PathLike, sha256: str, *, timeout: float = 60.0) -> Path:
    """Download ``url`` to ``dest`` unless a file with the right SHA-256 is already there.

    Raises:
        ValueError: the downloaded bytes do not have the expected SHA-256 (nothing is written).
        OSError: the download failed; the message names the URL and the destination.
    """
    if not isinstance(url, str) or urllib.parse.urlsplit(url).scheme not in ("http", "https", "file"):
        raise ValueError(f"url must be an http(s):// or file:// address, got {url!r}")
    dest = check_path("dest", dest, kind="new_file")
    if not isinstance(sha256, str) or not re.fullmatch(r"[0-9a-fA-F]{64}", sha256):
        raise ValueError(f"sha256 must be a 64-character hex SHA-256 digest, got {sha256!r}")
    sha256 = sha256.lower()
    timeout = check_positive_float("timeout", timeout)
    if dest.exists() and sha256_of(dest) == sha256:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=dest.name + ".", suffix=".part", dir=dest.parent)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:
                    for chunk in iter(lambda: response.read(_CHUNK), b""):
                        digest.update(chunk)
                        out.write(chunk)
            except OSError as err:  # URLError, timeouts and refused connections are OSErrors
                raise OSError(f"could not download {url} to {dest}: {err}") from err
        if digest.hexdigest() != sha256:
            raise ValueError(
                f"checksum mismatch for {dest.name} downloaded from {url}: expected SHA-256 "
                f"{sha256}, got {digest.hexdigest()}; the file was not saved"
            )
        os.replace(tmp_name, dest)
    finally:
        if os.path.exists(tmp_name):
            os.remove(tmp_name)
    return dest
