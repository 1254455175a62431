"""Per-project figures of the outputs: what each indicator's target shows, how many indicators
a project has of each kind, and which findings belong to which project.

Shared by the summary rows (:mod:`perfsheet.core.summary_rows`), the helper columns
(:mod:`perfsheet.core.annotations`) and the Excel functions (比较符/目标值/计量单位/指标性质), so
that all of them read a target and count a project the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from perfsheet.core.models import Finding, Indicator, Project, Table, Target

# --------------------------------------------------------------------------------------------
# Target and indicator helpers (shared with the Excel functions: 比较符/目标值/计量单位/指标性质)
# --------------------------------------------------------------------------------------------

LEVEL1_BUCKETS: dict[str, str] = {
    "产出指标": "产出",
    "效益指标": "效益",
    "满意度指标": "满意度",
    "成本指标": "成本",
}

NATURE_QUANT, NATURE_QUAL, NATURE_TODO = "定量", "定性", "待补充"


def effective_target(ind: Indicator) -> Target | None:
    """The target shown in the summary: the annual one, else the implementation-period one."""
    t = ind.annual_target
    if t is not None and t.kind != "empty":
        return t
    p = ind.period_target
    if p is not None and p.kind != "empty":
        return p
    return t or p


def target_nature(t: Target | None) -> str:
    """指标性质: 定量 / 定性 / 待补充."""
    if t is None:
        return NATURE_TODO
    k = t.kind
    if k == "quantitative":
        return NATURE_QUANT
    if k in ("qualitative", "deadline"):
        return NATURE_QUAL
    return NATURE_TODO


def target_fields(t: Target | None) -> tuple[str | None, float | str | None, str | None, str]:
    """(比较符, 目标值, 计量单位, 指标性质) of one target."""
    if t is None:
        return None, None, None, NATURE_TODO
    k = t.kind
    if k == "quantitative":
        return t.op, t.value, t.unit, NATURE_QUANT
    if k in ("qualitative", "deadline"):
        return t.op, (t.raw or None), t.unit, NATURE_QUAL
    return None, None, None, NATURE_TODO


def level1_bucket(level1: str | None) -> str | None:
    """产出 / 效益 / 满意度 / 成本 for a canonical 一级指标 (None when unknown)."""
    if not level1:
        return None
    b = LEVEL1_BUCKETS.get(level1)
    if b is None:
        for name, bucket in LEVEL1_BUCKETS.items():
            if level1.startswith(bucket) or name.startswith(level1):
                return bucket
    return b


# --------------------------------------------------------------------------------------------
# Projects: their indicator counts, and the findings that belong to them
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class ProjectStats:
    """Counts of one project's indicators."""

    indicators: int = 0
    output: int = 0
    benefit: int = 0
    satisfaction: int = 0
    cost: int = 0
    quantitative: int = 0

    @property
    def quant_ratio(self) -> float | None:
        return self.quantitative / self.indicators if self.indicators else None


_BUCKET_ATTR = {"产出": "output", "效益": "benefit", "满意度": "satisfaction", "成本": "cost"}


def project_stats(project: Project) -> ProjectStats:
    s = ProjectStats()
    for ind in project.indicators:
        s.indicators += 1
        b = level1_bucket(ind.level1)
        if b is not None:
            attr = _BUCKET_ATTR[b]
            setattr(s, attr, getattr(s, attr) + 1)
        if target_nature(effective_target(ind)) == NATURE_QUANT:
            s.quantitative += 1
    return s


def iter_projects(table: Table) -> Iterator[tuple[str | None, Project]]:
    """(unit name, project) for every project of a table, in table order."""
    for unit in table.units:
        for project in unit.projects:
            yield unit.name, project


def name_column(table: Table) -> str:
    return table.columns.get("name") or "A"


class FindingIndex:
    """Findings attributed to the projects of one table: a finding belongs to the project
    whose rows (fragments included) hold its row, else to the first project of its name.

    Kept per project: [errors, warnings, infos] (项目汇总's 错误数/警告数) and, per indicator
    序号, the messages of the error/warning findings naming that indicator (``Finding.indicator``,
    set by the quality audit; shown in 绩效指标明细's 问题). Findings can be added at any time
    before the project's rows are produced (:class:`TableRows`)."""

    def __init__(self, table: Table) -> None:
        by_row: dict[int, Project] = {}
        by_name: dict[str, Project] = {}
        for _unit, p in iter_projects(table):
            for r in p.rows or [p.row]:
                by_row[r] = p
            by_row.setdefault(p.row, p)
            by_name.setdefault(p.name, p)
        self._by_row = by_row
        self._by_name = by_name
        self.counts: dict[int, list[int]] = {}  # id(project) -> [errors, warnings, infos]
        self.problems: dict[int, dict[int, list[str]]] = {}  # id(project) -> seq -> messages

    def add(self, findings: Iterable[Finding]) -> None:
        by_row, by_name = self._by_row, self._by_name
        counts, problems = self.counts, self.problems
        for f in findings:
            p = by_row.get(f.row) if f.row is not None else None
            if p is None and f.project:
                p = by_name.get(f.project)
            if p is None:
                continue
            c = counts.get(id(p))
            if c is None:
                c = counts[id(p)] = [0, 0, 0]
            sev = f.severity
            c[_SEVERITY_SLOT.get(sev, 2)] += 1
            if f.indicator is not None and sev in ("error", "warning"):
                problems.setdefault(id(p), {}).setdefault(f.indicator, []).append(f.message)

    def project_of(self, row: int | None, name: str | None) -> Project | None:
        """The project a finding on ``row`` naming project ``name`` belongs to (see above)."""
        p = self._by_row.get(row) if row is not None else None
        if p is None and name:
            p = self._by_name.get(name)
        return p

    def forget(self, project: Project) -> None:
        """Drop what is kept for ``project`` (its rows are written)."""
        self.counts.pop(id(project), None)
        self.problems.pop(id(project), None)


_SEVERITY_SLOT = {"error": 0, "warning": 1}
