"""Disk access for the rules: regular files only, size caps, cached hashes.

Everything here blocks on the file system; the language server calls the linter from a
worker thread, never on its event loop.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from enum import Enum
from typing import TypeAlias, TypeVar

# every function here takes a str as well as a Path (os.stat, os.open)
StrPath: TypeAlias = "str | os.PathLike[str]"
_T = TypeVar("_T")

HASH_CAP = 64 * 1024 * 1024  # never hash more than this (a template is a few KiB)
SMALL_FILE_CAP = 4 * 1024 * 1024  # config files read to check they are mappings

_lock = threading.Lock()
_hash_cache: OrderedDict[tuple, str | None] = OrderedDict()
_CACHE_SIZE = 4096


# ---------------------------------------------------------------- facts cache (server only)
# Between two keystrokes the disk rarely changes, but a 2,000-entry manifest asks ~10,000
# questions of it. The language server turns this cache on (and clears it when its file
# watchers report a change); the CLI leaves it off and always asks the disk.
_facts_ttl = 0.0
_facts: dict = {}
_FACTS_MAX = 65536


# ---------------------------------------------------------------- what a lint read (server only)
# The language server re-lints an unopened manifest only when something it read changed. While
# ``recording()`` is on (per thread), every path a rule asks this module about is noted.
_recorder = threading.local()


class recording:
    """``with recording() as paths:`` collects the paths looked at on this thread (normalised,
    as given: absolute when the linted file's path is)."""

    def __enter__(self) -> set:
        global _recordings
        self.previous = getattr(_recorder, "paths", None)
        _recorder.paths = set()
        with _lock:
            _recordings += 1
        return _recorder.paths

    def __exit__(self, *exc) -> None:
        global _recordings
        _recorder.paths = self.previous
        with _lock:
            _recordings -= 1


_recordings = 0  # recordings on, in any thread: when 0 (the CLI, a keystroke alone) note() is free


def note(path) -> None:
    if not _recordings:
        return
    paths = getattr(_recorder, "paths", None)
    if paths is not None:
        with contextlib.suppress(TypeError, ValueError):
            paths.add(os.path.normpath(os.path.join(*path) if isinstance(path, tuple) else os.fspath(path)))


def set_facts_ttl(seconds: float) -> None:
    global _facts_ttl
    _facts_ttl = max(0.0, seconds)
    clear_facts()


_generation = 0  # how many times the facts were dropped: a result's disk findings are as old as it


def clear_facts() -> None:
    global _generation
    _facts.clear()
    _generation += 1


def generation() -> int:
    """Counts ``clear_facts`` calls: findings read from the disk at another generation may be
    stale (``incremental.relint`` reuses findings only within one generation)."""
    return _generation


def cached_fact(kind: str, path: StrPath | tuple[str, ...], compute: Callable[[], _T]) -> _T:
    """``compute()``, memoised for ``kind``+``path`` for the facts TTL (when it is on).

    ``path`` is a path or any hashable key made of strings (e.g. a tuple of path parts).
    """
    if _recordings:  # (note() is free when off, but this is a hot path: a call per file looked at)
        note(path)
    if _facts_ttl <= 0:
        return compute()
    key = (kind, path if isinstance(path, (str, tuple)) else os.fspath(path))
    now = time.monotonic()
    hit = _facts.get(key)
    if hit is not None and now - hit[0] < _facts_ttl:
        return hit[1]
    value = compute()
    if len(_facts) >= _FACTS_MAX:
        _facts.clear()
    _facts[key] = (now, value)
    return value


def regular_file(path: StrPath) -> os.stat_result | None:
    """``stat`` of ``path`` when it is a regular file (symlinks followed), else None."""
    if _recordings:  # (note() is free when off, but this is a hot path: a call per file looked at)
        note(path)
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st if stat.S_ISREG(st.st_mode) else None


def is_dir(path: StrPath) -> bool:
    if _recordings:  # (note() is free when off, but this is a hot path: a call per file looked at)
        note(path)
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def sha256_of(path: StrPath) -> str | None:
    """Hex sha256 of a regular file, cached by (path, size, mtime, inode); None if unreadable."""
    st = regular_file(path)
    if st is None or st.st_size > HASH_CAP:
        return None
    key = (str(path), st.st_size, st.st_mtime_ns, st.st_ino)
    with _lock:
        if key in _hash_cache:
            _hash_cache.move_to_end(key)
            return _hash_cache[key]
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return None
    value = digest.hexdigest()
    with _lock:
        _hash_cache[key] = value
        while len(_hash_cache) > _CACHE_SIZE:
            _hash_cache.popitem(last=False)
    return value


def read_small(path: StrPath, cap: int = SMALL_FILE_CAP) -> tuple[str | None, str | None]:
    """``(text, None)`` for a regular file of at most ``cap`` bytes, else ``(None, why)``
    where ``why`` is ``"missing"`` (no such file, or not a regular file) or ``"unreadable"``
    (a regular file that cannot be read, or one over ``cap``). No ``stat`` besides the open
    file's: this runs for every config file of every entry in a repository."""
    if _recordings:  # (note() is free when off, but this is a hot path: a call per file looked at)
        note(path)
    data = _read_regular(path, cap)
    if data is None:
        return None, "missing"
    if data is _Failed.TOO_LARGE or data is _Failed.UNREADABLE:
        return None, "unreadable"
    return data.decode("utf-8", "replace"), None


class _Failed(Enum):
    TOO_LARGE = "over the cap"
    UNREADABLE = "a regular file that could not be opened or read"


def _read_regular(path: StrPath, cap: int, errors: bool = False) -> bytes | _Failed | None:
    """The bytes of the regular file at ``path``: ``None`` when it is missing or not a regular
    file, ``_Failed.TOO_LARGE`` when it is over ``cap``, ``_Failed.UNREADABLE`` when it cannot
    be opened or read. One open, one ``fstat`` and usually one read: this runs for every manifest and
    every config file of a repository.

    With ``errors=True`` a file that exists but cannot be opened or read raises ``OSError``.
    """
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer
        fd = os.open(path, _OPEN_FLAGS)
    except PermissionError:
        if errors:
            raise
        return _Failed.UNREADABLE if regular_file(path) is not None else None
    except (OSError, ValueError, TypeError):
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None
        size = st.st_size
        if size > cap:
            return _Failed.TOO_LARGE
        # ask for one byte more than stat promised: a file that grew shows it
        data = os.read(fd, size + 1)
        if len(data) == size:
            return data
        chunks = [data]
        total = len(data)
        while total <= cap:
            chunk = os.read(fd, min(cap + 1 - total, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        return _Failed.TOO_LARGE if total > cap else b"".join(chunks)
    except OSError:
        if errors:
            raise
        return _Failed.UNREADABLE
    finally:
        os.close(fd)


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


class FileTooLarge(Exception):
    pass


class NotRegularFile(Exception):
    pass


def read_manifest_bytes(path: StrPath, cap: int) -> bytes:
    """Read a file to lint: regular files only, at most ``cap`` bytes."""
    data = _read_regular(path, cap, errors=True)
    if data is None or data is _Failed.UNREADABLE:
        raise NotRegularFile(str(path))
    if data is _Failed.TOO_LARGE:
        st = regular_file(path)
        raise FileTooLarge(st.st_size if st is not None and st.st_size > cap else cap + 1)
    return data
