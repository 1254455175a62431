"""Safe output names: whatever the input names are, nothing is written outside OUTDIR.

Every path component of an output is rebuilt from the input's name by :func:`safe_component`
(no separators, no ``..``, no drive or absolute parts, no control characters, no Windows
reserved names or characters, bounded length), then :func:`inside` checks the final, resolved
location against OUTDIR (symbolic links included).
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from pathlib import Path, PurePath

OUTPUT_SUFFIX = "_绩效汇总.xlsx"
CONSOLIDATED_NAME = "绩效汇总_合并.xlsx"
REPORT_NAME = "convert-report.json"
CACHE_DIR = ".perfsheet-cache"  # hidden: never a user file, never picked up as an input
CACHE_SUFFIX = ".rows.jsonl"
TEMP_MARK = ".perfsheet-tmp-"

# Byte budgets (UTF-8): most file systems cap one name at 255 bytes. Leave room for the output
# suffix, a collision tag and the temporary-file decoration.
MAX_STEM_BYTES = 150
MAX_DIR_BYTES = 200

_WINDOWS_FORBIDDEN = set('<>:"/\\|?*')
_WINDOWS_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    "CONIN$",
    "CONOUT$",
    *(f"COM{c}" for c in "0123456789¹²³"),
    *(f"LPT{c}" for c in "0123456789¹²³"),
}


def _short_hash(text: str, n: int = 8) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:n]


def _truncate_bytes(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` UTF-8 bytes on a character boundary."""
    raw = text.encode("utf-8", "surrogatepass")
    if len(raw) <= limit:
        return text
    return raw[:limit].decode("utf-8", "ignore")


def safe_component(name: str, *, max_bytes: int = MAX_DIR_BYTES) -> str:
    """One file or folder name that is harmless on Linux, macOS and Windows.

    The result never contains a separator, never is empty, ``.`` or ``..``, never starts with a
    dot (no hidden outputs) or ends with a dot or space, never is a reserved Windows device name
    and fits in ``max_bytes`` UTF-8 bytes (a truncated name gets a hash of the original so that
    two long names sharing a prefix stay distinct).
    """
    original = name
    # Undecodable bytes from the file system arrive as lone surrogates: make them visible text.
    name = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    name = unicodedata.normalize("NFC", name)
    out = []
    for ch in name:
        cat = unicodedata.category(ch)
        if ch in _WINDOWS_FORBIDDEN or cat in ("Cc", "Cf", "Cs", "Zl", "Zp") or ch == "\ufffd":
            out.append("_")
        else:
            out.append(ch)
    name = "".join(out).strip(" ")
    name = name.rstrip(". ")
    if name.startswith("."):
        name = "_" + name.lstrip(".")
    if not name:
        name = "_"
    if name.split(".", 1)[0].rstrip(" ").upper() in _WINDOWS_RESERVED:
        name = "_" + name
    if len(name.encode("utf-8")) > max_bytes:
        tag = "~" + _short_hash(original)
        name = _truncate_bytes(name, max_bytes - len(tag)).rstrip(". ") + tag
    return name


def relative_parts(rel: PurePath | str) -> list[str]:
    """The folder components of a relative input path, each made safe (absolute parts dropped)."""
    pure = PurePath(rel)
    parts: list[str] = []
    for part in pure.parts[:-1]:
        if part in ("", ".", "..") or part == pure.anchor:
            continue
        parts.append(safe_component(part, max_bytes=MAX_DIR_BYTES))
    return parts


def output_stem(input_name: str) -> str:
    """The safe stem of an input's file name (``巫山县.xlsx`` -> ``巫山县``)."""
    stem, _ = os.path.splitext(input_name)
    return safe_component(stem or input_name, max_bytes=MAX_STEM_BYTES)


def output_name(stem: str, tag: str | None = None) -> str:
    """``<stem>_绩效汇总.xlsx``, or ``<stem>(<tag>)_绩效汇总.xlsx`` to resolve a collision."""
    return f"{stem}({tag}){OUTPUT_SUFFIX}" if tag else f"{stem}{OUTPUT_SUFFIX}"


def collision_key(rel_output: PurePath) -> str:
    """Two outputs collide when they differ only by case or Unicode form (Windows, macOS)."""
    return unicodedata.normalize("NFC", rel_output.as_posix()).casefold()


def inside(root: Path, candidate: Path) -> bool:
    """True when ``candidate`` (resolved, links followed) lies inside ``root`` (resolved)."""
    root_real = Path(os.path.realpath(root))
    cand_real = Path(os.path.realpath(candidate))
    return cand_real == root_real or cand_real.is_relative_to(root_real)


def cache_path_for(outdir: Path, rel_output: PurePath) -> Path:
    """The row-cache sidecar of one output: ``OUTDIR/.perfsheet-cache/<rel output>.rows.jsonl``."""
    return outdir / CACHE_DIR / rel_output.parent / (rel_output.name + CACHE_SUFFIX)


def temp_path_for(final: Path) -> Path:
    """A temporary sibling of ``final`` (same directory, so ``os.replace`` is atomic)."""
    return final.with_name(f".{final.name}{TEMP_MARK}{os.getpid()}")


def sweep_temps(folders: set[Path]) -> int:
    """Remove the temporary files of killed writers in ``folders`` (``.<name>.perfsheet-tmp-<pid>``
    and the summary writer's ``.<stem>.<random>.xlsx.part``); returns how many were removed.
    One directory listing per folder; OUTDIR holds only our files."""
    removed = 0
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            ours = TEMP_MARK in name or name.endswith(".xlsx.part")  # ours, the summary writer's
            if name.startswith(".") and ours and entry.is_file():
                try:
                    os.unlink(entry.path)
                    removed += 1
                except OSError:
                    pass
    return removed
