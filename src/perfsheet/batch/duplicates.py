"""Duplicate tables in one ``convert`` run: the same table counted twice would double a
department's money in the consolidated workbook.

**The key** (:func:`table_key`) of a table is

- its department (部门名称),
- the sorted list of its projects as (project name, project 总计) pairs,
- its 总计 as 部门汇总 counts it (the 合计 row; without one, the unit rows or the projects),

with names compared after text cleaning (full-width forms, all whitespace removed) and amounts
converted to 万元 and rounded to 0.01 元. Nothing else takes part: not the layout (a packed list,
a row list and one form per project give the same key), the sheet or file name, the amount unit,
the order of the projects, the units, the goals or the indicators. Tables without projects are
not compared.

**The rule** (:func:`find_duplicates`): in the order of the report (the inputs in the order
given, folders in name order; tables in sheet order), the first table with a key counts; every
later one with the same key, in any file (the same file included), is a duplicate: a warning in
the report (``FileEntry.duplicates``, ``summary.duplicates``), one 警告 row in the consolidated
校验结果 naming both files, and — unless ``--keep-duplicates`` — it is left out of the
consolidated workbook (its 部门汇总 row, its 项目汇总 and 绩效指标明细 rows and its own 校验结果
rows) and of the report's totals. Each input's own summary workbook is never changed.

The worker puts each table's key in the row cache's meta line (:class:`TableInfo`), so inputs
whose output is up to date take part without being read again; the parent reads those lines only.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from perfsheet.batch.cache import (
    CACHE_FORMAT,
    CACHE_VERSION,
    CacheMeta,
    CacheWriter,
    TableInfo,
    copy_without,
    read_meta,
)
from perfsheet.batch.models import Counts, Duplicate, FileEntry, Summary
from perfsheet.batch.naming import temp_path_for
from perfsheet.core import rules
from perfsheet.core.models import Table, WorkbookResult
from perfsheet.core.rules import RULES

if TYPE_CHECKING:
    from perfsheet.batch.layout import ConsolidatedLook

RULE = "duplicate-table"
RULE_NAME = RULES[RULE].name_zh


def _name(text: str | None) -> str:
    from perfsheet.core.text import clean_text

    return "".join(unicodedata.normalize("NFKC", clean_text(text)).split())


def _money(value: float | None) -> str | None:
    return None if value is None else f"{round(value, 6) + 0.0:.6f}"


def table_key(table: Table) -> str | None:
    """The duplicate key of ``table`` (see the module docstring); ``None`` without projects."""
    from perfsheet.batch.rows import CONSOLIDATED_UNIT, dept_row
    from perfsheet.core.amounts import amount_factor
    from perfsheet.core.project_stats import iter_projects
    from perfsheet.core.sheets import standard_amounts

    f = amount_factor(table.amount_unit, CONSOLIDATED_UNIT)
    projects = []
    for _unit, p in iter_projects(table):
        total, *parts = standard_amounts(p.amounts)
        if total is None and any(v is not None for v in parts):
            total = sum(v for v in parts if v is not None)
        projects.append((_name(p.name), _money(None if total is None else total * f)))
    if not projects:
        return None
    grand = dept_row(table, "")[4]  # 部门汇总's 总计, already in 万元
    doc = [
        _name(table.department),
        _money(grand),
        sorted(projects, key=lambda x: (x[0], x[1] or "")),
    ]
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def table_infos(result: WorkbookResult) -> list[TableInfo]:
    """What the parent needs of each table of one input (the worker's part)."""
    from perfsheet.core.counts import count_table

    return [
        TableInfo(sheet=t.sheet, department=t.department, key=table_key(t), counts=count_table(t))
        for t in result.tables
    ]


@dataclass(slots=True)
class Found:
    """One duplicate table: where it is (entry position, table index) and what to say."""

    pos: int
    table: int
    source: str  # its input's 来源文件
    duplicate: Duplicate


@dataclass(slots=True)
class Duplicates:
    """The duplicates of a run and what they change in the merge."""

    keep: bool = False
    found: list[Found] = field(default_factory=list)
    excluded: Counts = field(default_factory=Counts)  # left out of the totals (not keep)

    def skip(self) -> dict[int, list[int]]:
        """Entry position -> its tables left out of the merge."""
        out: dict[int, list[int]] = {}
        if not self.keep:
            for f in self.found:
                out.setdefault(f.pos, []).append(f.table)
        return out

    def adjust(self, summary: Summary) -> None:
        """The report's totals are the consolidated workbook's: without the duplicates (unless
        kept), with one warning each."""
        summary.duplicates = len(self.found)
        summary.keep_duplicates = self.keep
        for name in ("tables", "projects", "indicators", "errors", "warnings"):
            setattr(summary, name, getattr(summary, name) - getattr(self.excluded, name))
        summary.warnings += len(self.found)

    @contextlib.contextmanager
    def merge_inputs(
        self, caches: dict[int, str], tmpdir: Path, look: ConsolidatedLook | None = None
    ) -> Iterator[list[Path]]:
        """The row caches to merge, in report order: a copy without the duplicate tables for
        the inputs that have some (unless kept), and last one holding the 校验结果 warnings.
        The copies live in ``tmpdir`` for the ``with`` block only."""
        made: list[Path] = []
        try:
            skip = self.skip()
            paths: list[Path] = []
            for pos in sorted(caches):
                path = Path(caches[pos])
                if pos in skip:
                    copy = temp_path_for(tmpdir / f"dedup-{pos}.rows.jsonl")
                    made.append(copy)
                    copy_without(path, copy, skip[pos])
                    path = copy
                paths.append(path)
            if self.found:
                warnings = temp_path_for(tmpdir / "duplicates.rows.jsonl")
                made.append(warnings)
                self.write_warnings(warnings, look)
                paths.append(warnings)
            yield paths
        finally:
            for p in made:
                with contextlib.suppress(OSError):
                    os.unlink(p)

    def write_warnings(self, path: Path, look: ConsolidatedLook | None = None) -> None:
        """A row cache with one 校验结果 row (警告) per duplicate, in the consolidated layout
        (``look``'s; the built-in template's when None)."""
        from perfsheet.batch.layout import ConsolidatedLook
        from perfsheet.batch.rows import consolidated_plan, head
        from perfsheet.core.sheets import SHEET_FINDINGS
        from perfsheet.core.summary_rows import TableRows

        look = look if look is not None else ConsolidatedLook()
        plan = consolidated_plan(look)
        layout = plan.layout[SHEET_FINDINGS]
        rule_col = layout.index("规则") if "规则" in layout else None
        meta = CacheMeta(
            format=CACHE_FORMAT,
            version=CACHE_VERSION,
            fingerprint="",
            source="",
            input_size=0,
            input_mtime_ns=0,
            output="",
            counts=Counts(warnings=len(self.found)),
        )
        with CacheWriter(path, meta) as w:
            w.header(SHEET_FINDINGS, head(plan, SHEET_FINDINGS, look))
            for f in self.found:
                d = f.duplicate
                table = Table.model_construct(
                    sheet=d.sheet, department=d.department, header_rows=[], columns={}
                )
                finding = rules.finding(RULE, sheet=d.sheet, message=d.message)
                row = list(TableRows(plan, table, f.source, index=False).finding_row(finding))
                if rule_col is not None:
                    row[rule_col] = RULE_NAME
                w.row(SHEET_FINDINGS, [d.department, *row])
            w.commit()


def message(this: str, sheet: str, first: str, first_sheet: str, *, counted: bool) -> str:
    """The Chinese warning of one duplicate, naming both files."""
    tail = (
        "按 --keep-duplicates 两份都计入了合并汇总的合计"
        if counted
        else "只计入一次：本表的行未计入合并汇总（部门汇总、项目汇总、绩效指标明细、校验结果）"
    )
    return (
        f"{this} 工作表「{sheet}」与 {first} 工作表「{first_sheet}」的表格相同"
        f"（部门、项目名称和金额都一致），{tail}"
    )


def find_duplicates(
    entries: Sequence[FileEntry | None], caches: dict[int, str], *, keep: bool = False
) -> Duplicates:
    """Find the duplicate tables among the inputs that feed the merge (``caches``: entry
    position -> row cache); each one is added to its entry's ``duplicates``."""
    out = Duplicates(keep=keep)
    seen: dict[str, tuple[str, str]] = {}  # key -> (input, sheet) of the first copy
    for pos in sorted(caches):
        meta = read_meta(Path(caches[pos]))
        entry = entries[pos]
        if meta is None or entry is None:
            continue
        for t, info in enumerate(meta.tables):
            if info.key is None:
                continue
            first = seen.get(info.key)
            if first is None:
                seen[info.key] = (entry.input, info.sheet)
                continue
            dup = Duplicate(
                sheet=info.sheet,
                department=info.department,
                same_as=first[0],
                same_as_sheet=first[1],
                counted=keep,
                message=message(entry.input, info.sheet, *first, counted=keep),
            )
            entry.duplicates = (*entry.duplicates, dup)
            out.found.append(Found(pos=pos, table=t, source=meta.source, duplicate=dup))
            if not keep:
                out.excluded = out.excluded + info.counts
    return out


__all__ = ["Duplicates", "find_duplicates", "table_infos", "table_key"]
