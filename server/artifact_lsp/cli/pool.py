"""Linting many files: in this process for small runs, else a pool of worker processes fed
batches while this process keeps walking the tree."""

from __future__ import annotations

import os

from ..engine.config import Config
from ..engine.linter import lint_path
from .output import json_items, rows_of

PARALLEL_THRESHOLD = 256  # below this many files a worker pool costs more than it saves
BATCH = 200  # files per task sent to a worker


def _lint_one(path: str, shown: str, config: Config, disk: bool, fmt: str):
    """``(rows, problem, json fragment or None)`` for one file. For ``--format json`` the
    rows are only their severities (all the parent needs besides the JSON)."""
    try:
        result = lint_path(path, config, disk=disk)
    except OSError as exc:
        return [], f"{shown}: cannot read: {exc.strerror or exc}", None
    rows = rows_of(result, shown)
    if fmt == "json":
        return [r.severity for r in rows], None, json_items(rows, config.docs_url)
    return rows, None, None


_WORKER: dict = {}


def _init_worker(disk: bool, fmt: str) -> None:
    import gc

    # the imported modules live as long as the worker: keep the collector off them
    gc.freeze()
    _WORKER.update(disk=disk, fmt=fmt, configs={})


def _lint_batch(batch: list[tuple[str, str, int]], new_configs: dict[int, Config]) -> list:
    """Worker side: lint a batch of ``(path, shown path, config key)``; the configs the batch
    uses come along with it (each worker keeps the ones it has seen)."""
    disk, fmt, configs = _WORKER["disk"], _WORKER["fmt"], _WORKER["configs"]
    configs.update(new_configs)
    return [_lint_one(path, shown, configs[key], disk, fmt) for path, shown, key in batch]


def lint_all(files, disk: bool, workers: int, fmt: str = "text"):
    """Lint every ``(path, shown, config)``; yields ``(rows, problem, json or None)`` in
    discovery order.

    Small runs stay in this process. Large ones go to a pool of worker processes while this
    process keeps walking the tree, so discovery and linting overlap.
    """
    files = iter(files)
    head = []
    for item in files:
        head.append(item)
        if len(head) >= PARALLEL_THRESHOLD:
            break
    if workers <= 1 or len(head) < PARALLEL_THRESHOLD:
        for path, shown, config in [*head, *files]:
            yield _lint_one(path, shown, config, disk, fmt)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
    keys: dict[int, int] = {}  # id(config) -> key sent to the workers
    alive: list[Config] = []  # keeps each config (and so its id) alive while keys are in use
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(disk, fmt)
    ) as pool:
        futures = []
        batch: list = []
        used: dict[int, Config] = {}

        def add(item):
            path, shown, config = item
            key = keys.get(id(config))
            if key is None:
                key = keys[id(config)] = len(alive)
                alive.append(config)
            used[key] = config
            batch.append((path, shown, key))

        for item in head:
            add(item)
        for item in files:
            add(item)
            if len(batch) >= BATCH:
                futures.append(pool.submit(_lint_batch, batch, used))
                batch, used = [], {}
        if batch:
            futures.append(pool.submit(_lint_batch, batch, used))
        for future in futures:
            yield from future.result()


def worker_count(args) -> int:
    if args.jobs:
        return max(1, args.jobs)
    return os.cpu_count() or 1
