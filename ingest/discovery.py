"""Which files an ingest reads under the paths it is given, and which it skips and why.

Folders are walked without following symbolic links: a link to a file outside the folder (the
system's password file, say) is never read, and a link to a file inside it is left to the
file itself, read once under its own name. Every file or folder left out is named in the
report with its reason.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ingest.readers import SUFFIXES

SKIPPED_NAMES = {"readme.md", "readme.txt", "readme"}


@dataclass(frozen=True)
class SourceFile:
    path: Path
    root: Path

    @property
    def relative(self) -> str:
        return self.path.relative_to(self.root).as_posix()


@dataclass
class Discovery:
    files: list[SourceFile] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # given paths that do not exist
    skipped: list[dict[str, str]] = field(default_factory=list)  # {"path", "reason"}

    def skip(self, path: str, reason: str) -> None:
        self.skipped.append({"path": path, "reason": reason})


def discover(paths: Sequence[Path]) -> Discovery:
    """Files to read under the given paths (a file named directly is read as it is)."""
    found = Discovery()
    for given in paths:
        path = given.resolve()
        if path.is_file():
            found.files.append(SourceFile(path, path.parent))
        elif path.is_dir():
            _walk(path, found)
        else:
            found.missing.append(str(given))
    return found


def outside_root(source: SourceFile) -> bool:
    """Whether the file (once links are followed) lies outside the folder it was found in."""
    return not source.path.resolve().is_relative_to(source.root)


def _walk(root: Path, found: Discovery) -> None:
    files: list[SourceFile] = []

    def unreadable(error: OSError) -> None:
        where = Path(error.filename or root).relative_to(root).as_posix()
        found.skip(where, f"cannot read the folder: {error.strerror}")

    for folder, subfolders, names in os.walk(root, onerror=unreadable):
        here = Path(folder)
        for name in sorted(subfolders):
            reason = _folder_skip_reason(here / name)
            if reason:
                subfolders.remove(name)
                found.skip((here / name).relative_to(root).as_posix(), reason)
        for name in names:
            source = SourceFile(here / name, root)
            reason = skip_reason(source)
            if reason:
                found.skip(source.relative, reason)
            else:
                files.append(source)
    found.files.extend(sorted(files, key=lambda source: source.path))


def _folder_skip_reason(path: Path) -> str | None:
    if path.is_symlink():
        return "symbolic link to a folder (not followed)"
    if path.name.startswith("."):
        return "hidden folder"
    return None


def skip_reason(source: SourceFile) -> str | None:
    """Why a file found in a folder is not read, or None when it is."""
    path = source.path
    if path.is_symlink():
        if not path.exists():
            return "symbolic link to nothing (dangling)"
        if outside_root(source):
            return "symbolic link to a file outside the folder being ingested (not followed)"
        target = path.resolve().relative_to(source.root).as_posix()
        return f"symbolic link to {target} (read under its own name, not twice)"
    if path.name.startswith("."):
        return "hidden file"
    if not path.is_file():
        return "not a regular file"
    if path.name.lower() in SKIPPED_NAMES:
        return "a README (notes about the folder, not a document)"
    if path.suffix.lower() not in SUFFIXES:
        supported = " ".join(sorted(SUFFIXES))
        return f"unsupported file type {path.suffix or '(none)'!r} (kb reads {supported})"
    return None
