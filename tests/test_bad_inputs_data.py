"""Bad inputs to lecturekit.data, lecturekit.download and lecturekit.frey (no network: file:// URLs only)."""

from __future__ import annotations

import functools
import gzip
import hashlib
import tempfile
from pathlib import Path

import numpy as np
import torch

from lecturekit import data, download, frey
from tests.support.bad_inputs import (AS_LIST, AS_NUMPY, EMPTY, GENERATOR, INF, INTEGER, NAN, NONNEGATIVE_FLOAT,
                                      POSITIVE_FLOAT, POSITIVE_INT, SCALED_255, Table, bad, call, choice_bads, derived)
from tests.support.idx import idx_bytes

T = Table("data", ["lecturekit.data", "lecturekit.download", "lecturekit.frey"])
_TMP = tempfile.TemporaryDirectory(prefix="lk-bad-inputs-data-")
TMP = Path(_TMP.name)
MISSING = TMP / "missing-folder"
SEED = [bad(-1, names="seed"), bad(1.5, TypeError, names="seed"), bad("0", TypeError, names="seed")]
PATH = [bad(3, TypeError), bad(None, TypeError), bad(b"/tmp", TypeError), bad("", ValueError, "empty-string"),
        bad(["a"], TypeError)]
SPLIT = [bad("val"), bad("Train"), bad(0)]
BINARIZE = [bad("yes", names="binarize"), bad(0, names="binarize"), bad(0.5, names="binarize")]


@functools.cache
def files() -> dict[str, Path]:
    """An IDX file, a plain file with its digest, and a small Frey Face .mat in a temporary folder."""
    from scipy.io import savemat

    idx = TMP / "images-idx3-ubyte.gz"
    idx.write_bytes(gzip.compress(idx_bytes(np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4))))
    plain = TMP / "plain.bin"
    plain.write_bytes(b"lecturekit")
    frey_root = TMP / "frey"
    frey_root.mkdir(exist_ok=True)
    savemat(frey_root / frey.FREY_FILE, {"ff": np.arange(560 * 3, dtype=np.uint8).reshape(560, 3)})
    return {"idx": idx, "plain": plain, "sha": hashlib.sha256(b"lecturekit").hexdigest(), "frey": frey_root}


T.add("data.mnist_5k", lambda: call(data.mnist_5k, "test", binarize="threshold", seed=0),
      split=SPLIT + [bad(["train"])], binarize=BINARIZE, seed=SEED)
T.add("data.digits", lambda: call(data.digits, "test", binarize=False, seed=1),
      split=SPLIT + [bad("all")], binarize=BINARIZE, seed=SEED)
T.add("data.mnist", lambda: call(data.mnist, MISSING, "train", download=False), _run_good=False,
      root=PATH, split=SPLIT, download=[bad("yes", TypeError), bad(1, TypeError), bad(None, TypeError)])
T.case("data.mnist", "missing-files", lambda: data.mnist(MISSING, "test"), FileNotFoundError, names=str(MISSING))
T.add("data.read_idx", lambda: call(data.read_idx, files()["idx"]), path=PATH + [bad(MISSING, FileNotFoundError)])
T.case("data.read_idx", "not-idx", lambda: data.read_idx(files()["plain"]), ValueError, names=str(files()["plain"]))
T.add("data.stratified_split", lambda: call(data.stratified_split, np.array([0, 0, 1, 1, 2, 2]), 0.5, seed=0),
      labels=[bad("0011", TypeError), bad(np.zeros((2, 3), dtype=int)), bad(np.array([], dtype=int)),
              bad(np.array([0.5, 1.5]), TypeError), bad(5, TypeError)],
      test_fraction=[bad(-0.1), bad(1.5), bad(float("nan")), bad("0.2", TypeError)], seed=SEED[:2])
T.add("data.binarize", lambda: call(data.binarize, torch.rand(2, 1, 4, 4), "sample", seed=0),
      x=[AS_LIST, AS_NUMPY, NAN, SCALED_255, EMPTY, derived(lambda t: (t * 255).to(torch.uint8), TypeError, "uint8")],
      how=[bad("yes", names="binarize"), bad(0, names="binarize"), bad("Sample", names="binarize")], seed=SEED)
T.add("data.ring_of_gaussians", lambda: call(data.ring_of_gaussians, 16, num_modes=4, generator=torch.Generator()),
      n=POSITIVE_INT, num_modes=POSITIVE_INT[:2], radius=POSITIVE_FLOAT[:3], std=POSITIVE_FLOAT[:3],
      generator=GENERATOR[:1])
T.add("data.grid_of_gaussians", lambda: call(data.grid_of_gaussians, 16, size=3, generator=torch.Generator()),
      n=POSITIVE_INT, size=POSITIVE_INT[:2], spacing=POSITIVE_FLOAT[:3], std=POSITIVE_FLOAT[:3],
      generator=GENERATOR[:1])
T.add("data.two_moons", lambda: call(data.two_moons, 16, noise=0.1, generator=torch.Generator()),
      n=POSITIVE_INT, noise=NONNEGATIVE_FLOAT, generator=GENERATOR)
T.add("data.swiss_roll", lambda: call(data.swiss_roll, 16, noise=0.1, generator=torch.Generator()),
      n=POSITIVE_INT, noise=NONNEGATIVE_FLOAT, generator=GENERATOR)
T.add("data.energy", lambda: call(data.energy, "U2", torch.randn(5, 2)),
      name=choice_bads(bad("u1")), z=[AS_LIST, NAN, INF, INTEGER, derived(lambda t: torch.randn(5, 3), ValueError, "3-D")])

T.add("download.sha256_of", lambda: call(download.sha256_of, files()["plain"]),
      path=PATH + [bad(MISSING, FileNotFoundError), bad(TMP, FileNotFoundError, "folder")])
T.add("download.fetch", lambda: call(download.fetch, files()["plain"].as_uri(), TMP / "fetched.bin", files()["sha"]),
      url=[bad("not a url"), bad("ftp://example.org/x"), bad(3), bad(None)],
      dest=[bad(3, TypeError), bad(None, TypeError), bad(TMP, IsADirectoryError, "folder")],
      sha256=[bad("abc"), bad("z" * 64), bad(None), bad(123)],
      timeout=[bad(0.0), bad(-1.0), bad(float("nan")), bad("60", TypeError)])
T.case("download.fetch", "checksum-mismatch",
       lambda: download.fetch(files()["plain"].as_uri(), TMP / "mismatch.bin", "0" * 64), ValueError, names="checksum")

T.add("frey.frey_faces", lambda: call(frey.frey_faces, files()["frey"]),
      _check=lambda x: x.shape == (3, 1, 28, 20) and float(x.max()) <= 1.0,
      root=PATH + [bad(MISSING, FileNotFoundError, names=str(MISSING))],
      download=[bad("yes", TypeError), bad(1, TypeError), bad(None, TypeError)],
      sha256=[bad("abc"), bad("g" * 64), bad(64, names="sha256"), bad("0" * 64, names="SHA-256", why="mismatch")])
T.case("frey.frey_faces", "download-without-sha", lambda: frey.frey_faces(MISSING, download=True), ValueError,
       names="sha256")

T.install(globals())
