"""Find the workbooks to convert and decide where each one's output goes.

Folders are scanned (recursively with ``--recursive``, never following links to folders, never
descending into hidden folders or into OUTDIR itself); Excel lock files (``~$*``), hidden files,
other extensions, non-regular files, perfsheet's own outputs by their names
(``…_绩效汇总.xlsx``, ``绩效汇总_合并.xlsx``; outputs renamed since are recognised by their
sheets, in the worker) and the add-in's summary template ``perfsheet.template.xlsx`` (kept with
the workbooks it formats) are reported as *skipped* with a reason. Each workbook gets
a relative output path built only from sanitized names; outputs that would collide (``a.xls``
next to ``a.xlsx``, ``A.xlsx`` next to ``a.xlsx`` on a case-insensitive disk, two files given from
different folders) are told apart deterministically.
"""

from __future__ import annotations

import os
import stat
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from perfsheet.batch.models import FileEntry, ReasonCode
from perfsheet.batch.naming import (
    CACHE_DIR,
    CONSOLIDATED_NAME,
    OUTPUT_SUFFIX,
    _short_hash,
    collision_key,
    output_name,
    output_stem,
    relative_parts,
)
from perfsheet.errors import UsageError
from perfsheet.io.user_files import TEMPLATE_FILE_NAME

WORKBOOK_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".pdf")  # .pdf: perfsheet.io.pdf


@dataclass(slots=True)
class Candidate:
    """A workbook to convert."""

    path: Path  # as found (user-given prefix kept), used for display
    real: str  # resolved absolute path (deduplication, input/output overlap)
    source: PurePath  # relative path shown as 来源文件 (relative to the folder given)
    rel_output: PurePath = field(default_factory=PurePath)  # relative to OUTDIR


@dataclass(slots=True)
class Discovery:
    candidates: list[Candidate]
    skipped: list[FileEntry]
    # Everything found, in the order found: a Candidate or a skipped FileEntry.
    items: list[Candidate | FileEntry]


def _skip(path: Path, code: ReasonCode, reason: str) -> FileEntry:
    return FileEntry(input=str(path), status="skipped", reason=reason, reason_code=code)


def _is_hidden(path: Path, st: os.stat_result | None) -> bool:
    if path.name.startswith("."):
        return True
    attrs = getattr(st, "st_file_attributes", 0) if st is not None else 0
    return bool(attrs & getattr(stat, "FILE_ATTRIBUTE_HIDDEN", 0))


def classify(path: Path) -> FileEntry | None:
    """``None`` when ``path`` is a workbook to convert, else the *skipped* entry saying why."""
    name = path.name
    if name.startswith("~$"):
        return _skip(path, "lock-file", "Excel 临时锁定文件（~$ 开头），已跳过")
    try:
        st = path.stat()
    except OSError:
        st = None
    if _is_hidden(path, st):
        return _skip(path, "hidden", "隐藏文件，已跳过")
    ext = os.path.splitext(name)[1].lower()
    if ext not in WORKBOOK_EXTENSIONS:
        shown = ext or "无扩展名"
        return _skip(path, "not-workbook", f"不是工作簿文件（{shown}），已跳过")
    if st is None or not stat.S_ISREG(st.st_mode):
        return _skip(path, "not-a-file", "不是普通文件（无法读取的链接、管道或设备），已跳过")
    own = own_output_reason(name)
    if own is not None:
        return _skip(path, "own-output", own)
    if unicodedata.normalize("NFC", name).casefold() == TEMPLATE_FILE_NAME:
        reason = f"perfsheet 汇总模板（{TEMPLATE_FILE_NAME}），不转换，已跳过"
        return _skip(path, "template", reason)
    return None


def own_output_reason(name: str) -> str | None:
    """Why a file so named is one of perfsheet's outputs (``None`` if its name does not say so):
    a summary ``…_绩效汇总.xlsx`` (``perfsheet summary``, ``convert``) or the consolidated
    ``绩效汇总_合并.xlsx``. Converting those again would count their departments twice."""
    folded = unicodedata.normalize("NFC", name).casefold()
    if folded == CONSOLIDATED_NAME.casefold():
        return f"perfsheet 生成的合并工作簿（{CONSOLIDATED_NAME}），不再转换，已跳过"
    if folded.endswith(OUTPUT_SUFFIX.casefold()):
        return (
            f"perfsheet 生成的汇总表（文件名以「{OUTPUT_SUFFIX}」结尾），不再转换，已跳过；"
            "如确是原始报表，请改名后再转换"
        )
    return None


def _walk(root: Path, recursive: bool, exclude: set[str]) -> list[tuple[Path, PurePath]]:
    """Files under ``root`` with their path relative to it, in a stable order."""
    found: list[tuple[Path, PurePath]] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        if recursive:
            keep = []
            for d in sorted(dirnames):
                sub = here / d
                if d.startswith(".") or d == CACHE_DIR or os.path.realpath(sub) in exclude:
                    continue
                keep.append(d)
            dirnames[:] = keep
        else:
            dirnames[:] = []
        for f in sorted(filenames):
            p = here / f
            found.append((p, p.relative_to(root)))
    return found


def discover(paths: list[Path], outdir: Path, *, recursive: bool = False) -> Discovery:
    """Expand the command line's paths into workbooks to convert and skipped files.

    Raises :class:`UsageError` for a path that does not exist or when OUTDIR is one of the input
    folders (outputs would mix with the inputs).
    """
    out_real = os.path.realpath(outdir)
    candidates: list[Candidate] = []
    skipped: list[FileEntry] = []
    items: list[Candidate | FileEntry] = []
    seen: set[str] = set()
    for given in paths:
        if not os.path.lexists(given):
            raise UsageError(f"输入路径不存在：{given}")
        if given.is_dir():
            if os.path.realpath(given) == out_real:
                raise UsageError(f"输出目录不能与输入文件夹相同：{given}")
            entries = _walk(given, recursive, {out_real})
        else:
            entries = [(given, PurePath(given.name))]
        for path, rel in entries:
            entry = classify(path)
            if entry is not None:
                skipped.append(entry)
                items.append(entry)
                continue
            real = os.path.realpath(path)
            if real in seen:
                continue
            seen.add(real)
            cand = Candidate(path=path, real=real, source=rel)
            candidates.append(cand)
            items.append(cand)
    assign_outputs(candidates)
    return Discovery(candidates=candidates, skipped=skipped, items=items)


def _rel_output(c: Candidate, level: int) -> PurePath:
    stem = output_stem(c.source.name)
    ext = os.path.splitext(c.source.name)[1].lower().lstrip(".")
    if level == 0:
        tag = None
    elif level == 1:
        tag = ext
    else:
        tag = f"{ext}-{_short_hash(c.real)}"
    return PurePath(*relative_parts(c.source), output_name(stem, tag))


def assign_outputs(candidates: list[Candidate]) -> None:
    """Give every candidate a distinct relative output path (deterministic, order-independent)."""
    level = [0] * len(candidates)
    for _ in range(3):
        groups: dict[str, list[int]] = defaultdict(list)
        for i, c in enumerate(candidates):
            c.rel_output = _rel_output(c, level[i])
            groups[collision_key(c.rel_output)].append(i)
        clashes = [idx for idx in groups.values() if len(idx) > 1]
        if not clashes:
            return
        for idx in clashes:
            for i in idx:
                level[i] = min(level[i] + 1, 2)
