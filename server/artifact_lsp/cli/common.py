"""What the commands share: exit codes, the usage error, and the config of each file with the
command line's options laid over it."""

from __future__ import annotations

import sys
from pathlib import Path

from ..engine.config import Config, ConfigCache, OverlaidConfigs, load_config_from
from .output import display_path

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    pass


# --------------------------------------------------------------------------- config


def _overrides(args) -> dict:
    overrides = {}
    if getattr(args, "select", None):
        overrides["select"] = args.select
    if getattr(args, "ignore", None):
        overrides["ignore"] = args.ignore
    return overrides


class Configs:
    """The config of each file: ``--config`` for all, else the nearest config file's, with the
    command-line options laid over it."""

    def __init__(self, args):
        overrides = _overrides(args)
        extra_exclude = list(getattr(args, "extend_exclude", None) or [])

        def overlay(config: Config) -> dict:
            values = dict(overrides)
            if extra_exclude:
                values["exclude"] = [*config.exclude, *extra_exclude]
            return values

        self.explicit = load_config_from(Path(args.config)) if args.config else None
        self.cache = ConfigCache()
        self.missing: list[str] = []  # paths given on the command line that do not exist
        self.unreadable_folders: list[str] = []  # folders the walk could not list
        self.overlaid = OverlaidConfigs(overlay, "command line")

    def for_path(self, path: Path) -> Config:
        return self.overlaid.of(self.explicit or self.cache.for_path(path))

    def for_folder(self, folder: Path) -> Config:
        return self.for_path(Path(folder) / "_")

    def folder_error(self, folder: str, exc: OSError) -> None:
        """A folder the walk cannot list: its files are not checked, so say so (exit 2)."""
        self.unreadable_folders.append(folder)
        sys.stderr.write(
            f"error: {display_path(folder)}: cannot read the folder ({exc.strerror or exc}); its files were not checked\n"
        )
