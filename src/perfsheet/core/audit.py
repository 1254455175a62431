"""Indicator quality audit (issue 7): what a reviewer checks, from the parsed indicators.

Seven rules, each a :class:`~perfsheet.core.models.Finding` with a stable id:

============================  ========  ===================================================
rule                          default   flags
============================  ========  ===================================================
``indicator-vague``           warning   提升/有所提升/提高… as a target (values without a
                                        number), a value repeating the indicator name or being
                                        a name, a scoring rule written as the value, a rate or
                                        count without any number, a vacuous ``≤100%``
``indicator-coverage``        warning   a project without a 产出 / 效益 / 满意度 indicator
                                        (required categories configurable)
``indicator-misfiled``        warning   满意度 outside 满意度指标, 成本 under 经济效益, a
                                        category name used as 三级指标, 时效 without a time,
                                        生态效益 without anything ecological
``indicator-duplicate``       warning   the same 三级指标 twice in one project
``indicator-unit``            warning   a rate not in %, a rate with a count unit, a
                                        percentage above 100 with ≥, a count without a unit
``indicator-period``          info      实施周期 vs 年度: opposite directions, different units,
                                        an annual count larger than the period count
``indicator-legacy``          info      old-scheme 14 成本 / 24 可持续影响 in a table that also
                                        uses the 2021 scheme (成本指标 as level 1)
============================  ========  ===================================================

Placeholders (``待单位补充...``) are reported by the table checks (``indicator-placeholder``);
the rules here skip them.

The audit receives its configuration as an :class:`AuditRules` model (:func:`default_rules`,
or a rules file read by the adapter :mod:`perfsheet.io.rules_file`); nothing here reads a file.
What each per-indicator rule looks for in one indicator (its heuristics) is in
:mod:`perfsheet.core.audit_heuristics`; this module runs the rules over a project or a table
(:class:`TableAudit`: one project at a time, with a bounded memo of per-indicator results) and
turns what they find into findings.

The 指标质量 score of a project is :mod:`perfsheet.core.quality_score`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from pydantic import BaseModel, ConfigDict

from perfsheet.core.audit_heuristics import (
    canonical_level1,
    canonical_level2,
    category_text,
    indicator_label,
    indicator_values,
    is_legacy_category,
    is_placeholder_text,
    misfiled_reasons,
    norm_text,
    period_reasons,
    unit_reasons,
    uses_new_scheme,
    vague_reasons,
)
from perfsheet.core.models import (
    Finding,
    Indicator,
    Project,
    Severity,
    Table,
    Unit,
    share_fields_set,
)
from perfsheet.core.rules import RULES
from perfsheet.core.rules import finding as rule_finding

__all__ = [
    "BASIS",
    "DEFAULT_REQUIRED_CATEGORIES",
    "DEFAULT_VAGUE_WORDS",
    "QUALITY_RULES",
    "AuditRules",
    "RuleSetting",
    "TableAudit",
    "audit_indicators",
    "audit_project",
    "audit_table",
    "default_rules",
    "is_new_scheme",
]

VAGUE: Final = "indicator-vague"
COVERAGE: Final = "indicator-coverage"
MISFILED: Final = "indicator-misfiled"
DUPLICATE: Final = "indicator-duplicate"
UNIT: Final = "indicator-unit"
PERIOD: Final = "indicator-period"
LEGACY: Final = "indicator-legacy"

#: The audit rule ids, in report order.
QUALITY_RULES: Final[tuple[str, ...]] = (
    VAGUE,
    COVERAGE,
    MISFILED,
    DUPLICATE,
    UNIT,
    PERIOD,
    LEGACY,
)

#: Where each rule comes from (``Finding.basis``), from the catalogue.
BASIS: Final[dict[str, str]] = {rule: RULES[rule].basis for rule in QUALITY_RULES}


_RULE_ORDER: Final = {rule: i for i, rule in enumerate(QUALITY_RULES)}

# --------------------------------------------------------------------------------------------
# Rules configuration
# --------------------------------------------------------------------------------------------


class RuleSetting(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    severity: Severity = "warning"


class AuditRules(BaseModel):
    """The effective audit configuration (defaults merged with a rules file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    settings: dict[str, RuleSetting]
    vague_words: tuple[str, ...]
    required_categories: tuple[str, ...]
    source: str | None = None  # the rules file, None for the shipped defaults

    def enabled(self, rule: str) -> bool:
        s = self.settings.get(rule)
        return bool(s and s.enabled)

    def severity(self, rule: str) -> Severity:
        return self.settings[rule].severity


# The shipped defaults, as data (the adapter perfsheet.io.rules_file merges a rules file over
# them; perfsheet/io/default_rules.toml is their commented copy for users, tested equal).
DEFAULT_VAGUE_WORDS: Final[tuple[str, ...]] = (
    "有所提升", "正向提升", "显著提升", "明显提升", "稳步提升", "进一步提升", "提升",
    "有所提高", "显著提高", "明显提高", "逐步提高", "进一步提高", "提高",
    "逐步完善", "不断完善", "进一步完善", "完善",
    "有所改善", "明显改善", "不断改善", "改善",
    "有所增强", "不断增强", "增强",
    "效果明显", "成效明显", "成效显著",
    "促进", "推动", "助力",
)  # fmt: skip
DEFAULT_REQUIRED_CATEGORIES: Final[tuple[str, ...]] = ("产出指标", "效益指标", "满意度指标")


@lru_cache(maxsize=1)
def default_rules() -> AuditRules:
    """The shipped defaults: every rule on, at its catalogue severity."""
    return AuditRules(
        settings={r: RuleSetting(severity=RULES[r].severity) for r in QUALITY_RULES},
        vague_words=DEFAULT_VAGUE_WORDS,
        required_categories=DEFAULT_REQUIRED_CATEGORIES,
    )


# --------------------------------------------------------------------------------------------
# The audit of a project, of a table (one project at a time)
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Emitter:
    rules: AuditRules
    out: list[Finding]
    location: dict[str, Any] | None = None  # sheet/cell/row/project/unit (audit_project)

    def emit(
        self,
        rule: str,
        message: str,
        *,
        seq: int | None = None,
        expected: str | None = None,
        actual: str | None = None,
    ) -> None:
        f = rule_finding(
            rule,
            severity=self.rules.severity(rule),
            message=message,
            indicator=seq,
            expected=expected,
            actual=actual,
            **(self.location or {}),
        )
        self.out.append(share_fields_set(f))


# What the per-indicator rules say about one indicator, without its label (序号 and name of
# the project): (rule, message after the label, ``actual``) in rule order.
_IndicatorResult = tuple[tuple[str, str, str | None], ...]


def _indicator_results(
    ind: Indicator, words: Sequence[str], on: dict[str, bool], new_scheme: bool
) -> _IndicatorResult:
    values = indicator_values(ind)
    out: list[tuple[str, str, str | None]] = []
    if on[VAGUE]:
        r = vague_reasons(ind, values, words)
        if r:
            out.append((VAGUE, f"：{r.text()}", None))
    if on[MISFILED]:
        r = misfiled_reasons(ind, values)
        if r:
            category = " / ".join(filter(None, [canonical_level1(ind), category_text(ind)]))
            out.append((MISFILED, f"（{category}）：{r.text()}", category))
    if on[UNIT]:
        r = unit_reasons(ind, values)
        if r:
            out.append((UNIT, f"：{r.text()}", None))
    if on[PERIOD]:
        r = period_reasons(ind)
        if r:
            out.append((PERIOD, f"：{r.text()}", None))
    if on[LEGACY] and new_scheme and is_legacy_category(ind):
        ct = category_text(ind)
        out.append(
            (
                LEGACY,
                f"使用了旧体系类别「{ct}」，而本表已采用2021年体系（成本指标单列为一级指标）",
                ct,
            )
        )
    return tuple(out)


#: Entries of one generation of the per-table memo of indicator results (at most two
#: generations are kept: bounded memory when the projects are audited one at a time and
#: dropped, see :class:`TableAudit`).
MEMO_LIMIT: Final = 8192

# memo key -> (results, the targets whose ids are in the key: kept alive with the entry)
_MemoEntry = tuple[_IndicatorResult, tuple[Any, Any]]


class _Memo:
    """Per-indicator results of one table, bounded: a full generation becomes the old one
    (the one before it is dropped); an entry found in the old generation moves to the new."""

    __slots__ = ("limit", "new", "old")

    def __init__(self, limit: int | None = None) -> None:
        self.new: dict[tuple[Any, ...], _MemoEntry] = {}
        self.old: dict[tuple[Any, ...], _MemoEntry] = {}
        self.limit = limit if limit is not None else MEMO_LIMIT

    def get_old(self, key: tuple[Any, ...]) -> _MemoEntry | None:
        """An entry of the old generation (moved to the new one), after ``new.get`` missed."""
        if not self.old:
            return None
        entry = self.old.pop(key, None)
        if entry is not None:
            self.put(key, entry)
        return entry

    def put(self, key: tuple[Any, ...], entry: _MemoEntry) -> None:
        if len(self.new) >= self.limit:
            self.old, self.new = self.new, {}
        self.new[key] = entry

    def __len__(self) -> int:
        return len(self.new) + len(self.old)


def _memo_key(ind: Indicator) -> tuple[Any, ...]:
    """Everything :func:`_indicator_results` reads of ``ind`` (not its 序号 or raw text).

    Targets by identity (hashing a pydantic model is a Python call; the parser's target cache
    hands out one object per value text): valid because each memo entry holds its two targets,
    so their ids cannot be reused by other objects while the entry exists."""
    return (
        ind.name,
        ind.level1,
        ind.level1_code,
        ind.level2,
        ind.level2_code,
        ind.legacy,
        ind.period_value,
        ind.annual_value,
        id(ind.period_target),
        id(ind.annual_target),
    )


def audit_indicators(
    indicators: Sequence[Indicator],
    rules: AuditRules | None = None,
    *,
    new_scheme: bool | None = None,
    project_name: str | None = None,
    project_row: int | None = None,
) -> list[Finding]:
    """Audit one project's indicators. Findings carry no location (see :func:`audit_project`);
    with ``project_name`` (and ``project_row``) the messages start with 第N行项目「…」.

    ``new_scheme``: whether the table uses the 2021 scheme (成本指标 as level 1), for
    ``indicator-legacy``; None = decide from these indicators alone.
    """
    return _audit(indicators, rules, new_scheme, project_name, project_row, None, None)


def _audit(
    indicators: Sequence[Indicator],
    rules: AuditRules | None,
    new_scheme: bool | None,
    project_name: str | None,
    project_row: int | None,
    location: dict[str, Any] | None,
    memo: _Memo | None,
) -> list[Finding]:
    """:func:`audit_indicators`; ``location`` = the fields every finding gets (set at
    construction), ``memo`` = per-indicator results already computed in this table (names and
    values repeat across projects; the key holds every field the rules read)."""
    rules = rules or default_rules()
    em = _Emitter(rules, [], location)
    who = f"项目「{project_name}」" if project_name else ""
    if who and project_row is not None:
        who = f"第{project_row}行{who}"

    def label(ind: Indicator) -> str:
        return who + indicator_label(ind)

    if rules.enabled(COVERAGE) and rules.required_categories:
        present = {
            c for ind in indicators for c in (canonical_level1(ind), canonical_level2(ind)) if c
        }
        have = "、".join(sorted({c for ind in indicators if (c := canonical_level1(ind))})) or "无"
        for required in rules.required_categories:
            if required not in present:
                em.emit(
                    COVERAGE,
                    f"{who or '项目'}缺少{required}（现有一级指标：{have}）",
                    expected=required,
                    actual=have,
                )

    if rules.enabled(DUPLICATE):
        first_seen: dict[str, Indicator] = {}
        for ind in indicators:
            key = norm_text(ind.name)
            if not key or is_placeholder_text(ind.name):
                continue
            if key in first_seen:
                first = first_seen[key]
                em.emit(
                    DUPLICATE,
                    f"{label(ind)}与第 {first.seq} 项三级指标名称重复",
                    seq=ind.seq,
                    actual=ind.name,
                )
            else:
                first_seen[key] = ind

    if new_scheme is None:
        new_scheme = any(uses_new_scheme(ind) for ind in indicators)

    on = {rule: rules.enabled(rule) for rule in QUALITY_RULES}
    words = rules.vague_words
    for ind in indicators:
        if memo is None:
            results = _indicator_results(ind, words, on, new_scheme)
        else:
            key = _memo_key(ind)
            entry = memo.new.get(key) or memo.get_old(key)
            if entry is None:
                results = _indicator_results(ind, words, on, new_scheme)
                memo.put(key, (results, (ind.period_target, ind.annual_target)))
            else:
                results = entry[0]
        if results:
            head = label(ind)
            for rule, tail, actual in results:
                em.emit(rule, head + tail, seq=ind.seq, actual=actual)

    em.out.sort(key=lambda f: (f.indicator or 0, _RULE_ORDER[f.rule]))
    return em.out


def audit_project(
    project: Project,
    rules: AuditRules | None = None,
    *,
    table: Table | None = None,
    unit: Unit | None = None,
    new_scheme: bool | None = None,
) -> list[Finding]:
    """Audit one project; findings point at its 绩效指标 cell (``table.columns["indicators"]``
    and ``project.row``) and carry the project and unit names."""
    return _audit_project(project, rules, table, unit, new_scheme, None)


def _audit_project(
    project: Project,
    rules: AuditRules | None,
    table: Table | None,
    unit: Unit | None,
    new_scheme: bool | None,
    memo: _Memo | None,
) -> list[Finding]:
    column = table.columns.get("indicators") if table is not None else None
    grid = table is not None and column is None and table.layout != "packed"
    if grid:
        assert table is not None
        column = table.columns.get("level3")
    location = {
        "sheet": table.sheet if table is not None else None,
        "cell": f"{column}{project.row}" if column else None,
        "row": project.row,
        "project": project.name,
        "unit": unit.name if unit is not None else None,
    }
    found = _audit(project.indicators, rules, new_scheme, project.name, project.row, location,
                   memo)  # fmt: skip
    if grid:  # a grid indicator's finding points at the indicator's own row
        rows = {i.seq: i.row for i in project.indicators if i.row is not None}
        found = [
            f.model_copy(update={"row": rows[f.indicator],
                                 "cell": f"{column}{rows[f.indicator]}" if column else None})
            if f.indicator in rows else f
            for f in found
        ]  # fmt: skip
    return found


def audit_table(table: Table, rules: AuditRules | None = None) -> list[Finding]:
    """The quality findings of every project of ``table`` (does not modify ``table``)."""
    new_scheme = any(
        uses_new_scheme(i) for u in table.units for p in u.projects for i in p.indicators
    )
    audit = TableAudit(table, rules, new_scheme=new_scheme)
    out: list[Finding] = []
    for unit in table.units:
        for project in unit.projects:
            out.extend(audit.project(unit, project))
    return out


def is_new_scheme(indicators: Iterable[Indicator]) -> bool:
    """Whether any of ``indicators`` uses the 2021 scheme (成本指标 as level 1)."""
    return any(uses_new_scheme(ind) for ind in indicators)


class TableAudit:
    """The audit of one table, one project at a time (:meth:`project`), in table order.

    ``indicator-legacy`` depends on the whole table (is any indicator in the 2021 scheme?).
    With ``new_scheme`` given, that is the answer. With ``new_scheme=None`` the findings are
    computed as if the table were new-scheme and :meth:`keep` says, once every project was
    audited, which findings stand: the legacy ones only if some indicator turned out to be
    new-scheme (removing them from a project's findings gives exactly the findings computed
    with ``new_scheme=False``: no other rule reads the flag and the order is a stable sort).
    The memo of per-indicator results is bounded (:data:`MEMO_LIMIT`).
    """

    def __init__(
        self, table: Table, rules: AuditRules | None = None, *, new_scheme: bool | None = None
    ) -> None:
        self.table = table
        self.rules = rules or default_rules()
        self.new_scheme = new_scheme
        self.seen_new_scheme = False
        self._memo = _Memo()

    @property
    def speculative(self) -> bool:
        """Whether :meth:`keep` may drop findings (``indicator-legacy`` computed speculatively)."""
        return self.new_scheme is None and self.rules.enabled(LEGACY)

    def project(self, unit: Unit | None, project: Project) -> list[Finding]:
        """The audit findings of one project (with the speculative legacy ones, see above)."""
        if self.new_scheme is None and not self.seen_new_scheme:
            self.seen_new_scheme = is_new_scheme(project.indicators)
        flag = self.new_scheme if self.new_scheme is not None else True
        return _audit_project(project, self.rules, self.table, unit, flag, self._memo)

    def keep(self, finding: Finding) -> bool:
        """After the last project: whether ``finding`` (from :meth:`project`) stands."""
        return self.keep_rule(finding.rule)

    def keep_rule(self, rule: str) -> bool:
        """:meth:`keep` for a finding of rule ``rule``."""
        return self.new_scheme is not None or self.seen_new_scheme or rule != LEGACY
