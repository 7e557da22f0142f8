"""Crash-safe replacement of an index folder: write a new folder beside it, then swap."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path


def replace_dir(source: Path, target: Path) -> None:
    """Flush `source` to disk and put it where `target` is; a swap interrupted between its two
    renames leaves `.<name>.old-*`, which `recover_dir` puts back."""
    for written in source.iterdir():
        fd = os.open(written, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        os.replace(target, old)
    os.replace(source, target)
    shutil.rmtree(old, ignore_errors=True)


def recover_dir(target: Path) -> None:
    """Restore the previous index if a save died between its two renames."""
    if not target.exists():
        olds: Sequence[Path] = sorted(target.parent.glob(f".{target.name}.old-*"))
        if olds:
            os.replace(olds[-1], target)
