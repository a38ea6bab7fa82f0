"""Set up the grading sandbox inside fresh namespaces, then run the submission as ``nobody``.

Run by :mod:`lecturekit.grading` as ``unshare --mount --net --pid --ipc --fork --kill-child
--mount-proc python -I -S _jail.py SPEC`` (as root; without root inside a user namespace). It
uses the standard library only, and the argument SPEC is JSON:

* ``hide``: folders and files to cover with an empty read-only mount (the real package, the
  solutions, the solution notebooks, the repository's .git, every submission);
* ``box``: the submission's private folder, the only writable place left;
* ``expose``: folders the run needs (the interpreter) that an unprivileged user may not reach,
  and ``holding``, an empty folder to keep them aside meanwhile;
* ``uid``/``gid``: the unprivileged user to become (``null`` in a user namespace);
* ``limits``: resource limits (address space, file size, processes, CPU seconds);
* ``argv``/``env``/``cwd``: what to execute then.
"""

import ctypes
import json
import os
import resource
import subprocess
import sys

_KEEP_WRITABLE = ("/proc", "/sys", "/dev/pts")


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _mount_points() -> list[str]:
    points = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = line.split()[4].encode().decode("unicode_escape")
            points.append(point)
    return points


def _expose(paths: list[str], holding: str) -> None:
    """Make each of ``paths`` reachable for an unprivileged user although an ancestor (say /root,
    mode 0700) is not: keep it aside, cover the topmost closed ancestor with an empty tmpfs (which
    also hides the rest of it), and put the path back in place."""
    held, closed = [], set()
    for i, path in enumerate(paths):
        parts = os.path.abspath(path).split("/")[1:]
        ancestors = ["/" + "/".join(parts[:k]) for k in range(1, len(parts) + 1)]
        blocked = next((a for a in ancestors if os.path.isdir(a) and not os.stat(a).st_mode & 0o001), None)
        if blocked is None:
            continue
        hold = os.path.join(holding, str(i))
        os.mkdir(hold)
        _mount("--bind", path, hold)
        held.append((path, hold))
        closed.add(blocked)
    for a in sorted(closed, key=len):
        if not any(a.startswith(b + "/") for b in closed if b != a):
            _mount("-t", "tmpfs", "-o", "size=1m,mode=0755", "lecturekit-open", a)
    for path, hold in held:
        os.makedirs(path, exist_ok=True)
        _mount("--move", hold, path)


def main(spec: dict) -> None:
    _mount("--make-rprivate", "/")
    if spec.get("uid") is not None:
        _expose(spec.get("expose", []), spec["holding"])
    # 1. cover what the submission must not read
    for path in spec["hide"]:
        if os.path.isdir(path):
            _mount("-t", "tmpfs", "-o", "ro,size=16k,mode=0755", "lecturekit-hidden", path)
        elif os.path.exists(path):
            _mount("--bind", "/dev/null", path)
    # 2. every other mount read-only (world-writable /tmp, /var/tmp, /dev/shm included)
    for point in sorted(set(_mount_points())):
        if point == "/dev" or any(point == k or point.startswith(k + "/") for k in _KEEP_WRITABLE):
            continue
        try:
            _mount("-o", "remount,bind,ro", point)
        except subprocess.CalledProcessError:
            if point == "/":
                raise
    # 3. the private folder, writable
    _mount("--bind", spec["box"], spec["box"])
    _mount("-o", "remount,bind,rw", spec["box"])  # a bind mount starts with its source's read-only flag
    for name, (soft, hard) in spec["limits"].items():
        resource.setrlimit(getattr(resource, name), (soft, hard))
    if spec.get("uid") is not None:
        os.setgroups([])
        os.setgid(spec["gid"])
        os.setuid(spec["uid"])
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS: no setuid binary can give privileges back
    os.chdir(spec["cwd"])
    os.execve(spec["argv"][0], spec["argv"], spec["env"])


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
