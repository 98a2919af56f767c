"""Fixture regeneration that never loses anything.

The repository's ``e2e/scripts/regenerate_artifacts.sh`` wipes each fixture folder before
the producer writes it again. ``run()`` wraps it (or, without a script, drives the producer
itself, one environment after the other, doing what the script did):

1. refuse unless the script resolves to an executable regular file inside the workspace
   (or a producer command and its environments are configured);
2. snapshot the fixture folders (content, modes, symlinks, empty folders) in the user's
   cache folder (``$XDG_CACHE_HOME/artifact-lsp/<hash of the workspace path>/``, where no
   ``git clean`` or ``rm -rf`` of the workspace reaches it) with a state file naming the run;
3. run the script as an argv list (no shell) in its own process group, with the workspace
   root as cwd, streaming its output; a cancel or the timeout stops it;
4. on every outcome, once the script itself has exited, stop everything the run started
   (its process group and session, and any process carrying the run's marker variable,
   which follows a ``setsid`` child too): TERM, then KILL, and check nothing is left;
5. on failure, cancel or timeout: restore the folders byte for byte, check the restored
   tree against the snapshot and say so; on success: put back the committed bytes of the
   manifests that changed only in their producer stamp (``generated_at`` /
   ``generator.version``), summarise what changed and keep the snapshot for ``--undo``.

A crash in the middle leaves the snapshot and its state file on disk:
``artifact-lsp regenerate --restore`` puts everything back. ``check()`` is the drift guard:
the same run in a scratch copy of the workspace, compared with the committed fixtures.
Plain Python (asyncio); the language server and the CLI are thin adapters over it.

The modules, by job: ``settings`` (the one resolver of the regenerate settings, and the script
or producer they name), ``snapshot`` (snapshot, restore, verify, the cache location),
``process`` (running a command in its own process group, stopping it, draining its output),
``producer`` (the script, or the producer per environment), ``summary`` (what changed,
stamp-only manifests, findings), ``runner`` (``run``, ``preflight``, ``undo``) and ``drift``
(the ``--check`` drift guard). Their public names are importable from here.
"""

from __future__ import annotations

from .drift import CheckOutcome, check, compare_trees
from .process import ExecResult, run_processes, stop_leftover, stop_run, stop_run_sync
from .producer import Produced, check_manifest, producer_argv
from .runner import Outcome, Reporter, busy, preflight, run, undo
from .settings import (
    DEFAULT_FIXTURES,
    DEFAULT_SCRIPT,
    DEFAULT_TIMEOUT,
    HOW_TO_CONFIGURE,
    PRODUCER_VARS,
    TIMESTAMP_POLICIES,
    Environment,
    Job,
    Refused,
    Settings,
    fixture_folders,
    output_of,
    plan,
    producer_command,
    resolve,
    resolve_script,
)
from .snapshot import (
    cache_home,
    differences,
    drop_snapshot,
    read_state,
    restore,
    state_dir,
    take_snapshot,
)
from .summary import (
    LOW_SIGNAL_KEYS,
    STAMP_FILES,
    _low_signal_only,
    format_summary,
    review_of,
    summarise,
)

__all__ = [
    "CheckOutcome", "check", "compare_trees",
    "ExecResult", "run_processes", "stop_leftover", "stop_run", "stop_run_sync",
    "Produced", "check_manifest", "producer_argv",
    "Outcome", "Reporter", "busy", "preflight", "run", "undo",
    "DEFAULT_FIXTURES", "DEFAULT_SCRIPT", "DEFAULT_TIMEOUT", "HOW_TO_CONFIGURE", "PRODUCER_VARS",
    "TIMESTAMP_POLICIES", "Environment", "Job", "Refused", "Settings", "fixture_folders", "output_of",
    "plan", "producer_command", "resolve", "resolve_script",
    "cache_home", "differences", "drop_snapshot", "read_state", "restore", "state_dir", "take_snapshot",
    "LOW_SIGNAL_KEYS", "STAMP_FILES", "_low_signal_only", "format_summary", "review_of", "summarise",
]  # fmt: skip
