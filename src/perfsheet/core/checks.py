"""Checks of one table: money totals, amount cells, fragments, indicator format.

Every finding has a stable ``rule`` id, a severity, the sheet, the cell address and row it is
about, and a one-line Chinese message giving the expected value, the actual value and the
difference where there are numbers.

Rule ids (stable, part of the JSON contract; each id's severity and Chinese name come from the
catalogue :mod:`perfsheet.core.rules`, which this table is tested against):

========================  ========  ==========================================================
rule                      severity  meaning
========================  ========  ==========================================================
``row-total``             error     总计 ≠ 财政拨款 + 财政专户拨款 + 其他资金 (any row with amounts)
``unit-subtotal``         error     a unit row ≠ the sum of its projects (per column)
``grand-total``           error     the 合计 row ≠ the sum of the units (or projects), per column
``money-columns-misread``  error     most rows fail ``row-total``: the money columns were probably
                                    misread (one finding instead of one per row)
``column-assumed-source`` info      a numeric column among the money columns that the header
                                    catalogue does not name, counted as a source of 总计
``column-unknown``        warning   a numeric column elsewhere that no header name explains
``amount-format``         error     an amount cell that is not a number (text, date, boolean,
                                    error value, formula without a stored result, absurd size)
``cell-error``            warning   another table cell (name, goal, indicators, extra column) holds
                                    an error value or a formula without a stored result
``amount-dash``           info      ``-``/``—`` in an amount cell, counted as 0
``fragment-merged``       info      a page-break fragment row joined to a project
``fragment-orphan``       error     a fragment row that could not be placed (kept, not dropped)
``project-unnamed``       warning   a row with amounts but no project name
``grand-total-duplicate`` warning   a second 合计/总计 row (not used in the checks)
``row-skipped``           info      a 小计 / 本页合计 row (not used in the checks)
``indicator-numbering``   warning   gaps, repeats or a wrong start in the ``N、`` numbering
``indicator-category``    warning   unknown category code, or level-2 not under its level-1
``indicator-missing-value`` warning 实施周期指标值 or 年度指标值 missing
``indicator-placeholder`` warning   a placeholder such as ``待单位补充...``
``indicator-unparsed``    warning   text the parser could not read completely
``indicator-columns``     warning   an export's 指标性质 / 计算符号 / 指标值 / 计量单位 columns
                                    are incomplete or disagree with each other
``form-no-indicators``    warning   a form whose indicator grid is empty or missing
========================  ========  ==========================================================

Tolerance: a sum is wrong when it differs by more than half a unit of the last decimal shown
(0.005 for 2 decimals), taking the coarsest precision among the cells compared. Sums are exact
``Decimal`` arithmetic, so binary float noise never produces a finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from perfsheet.core import rules
from perfsheet.core.amounts import Amount, describe_special, format_amount, tolerance
from perfsheet.core.grid import cell_ref, col_letter
from perfsheet.core.models import Finding, Indicator, Project, Table

AMOUNT_ROLES = ("total", "fiscal", "special", "other")
PART_ROLES = ("fiscal", "special", "other")
LABELS = {"total": "总计", "fiscal": "财政拨款", "special": "财政专户拨款", "other": "其他资金"}

_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def _label(key: str) -> str:
    """A money key's name in messages: the role's label, or a source column's header text."""
    return LABELS.get(key, key)


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Sheet order: by row, then by severity, keeping the order of equal ones."""
    return sorted(findings, key=finding_key)


def _f(d: Decimal) -> float:
    return float(d)


# --------------------------------------------------------------------------------------------
# amounts


def amount_findings(
    sheet: str, row: int, name: str, amounts: dict[str, Amount], roles: dict[str, int]
) -> list[Finding]:
    out: list[Finding] = []
    who = f"「{name}」" if name else ""
    for role, a in amounts.items():
        cell = cell_ref(row, roles[role])
        if a.status == "invalid":
            out.append(
                rules.finding(
                    "amount-format",
                    sheet=sheet,
                    cell=cell,
                    row=row,
                    project=name or None,
                    message=f"第{row}行{who}{_label(role)}（{cell}）{a.note}，无法参与合计校验",
                    actual=a.raw if isinstance(a.raw, str | float | int) else str(a.raw),
                )
            )
        elif a.status == "dash":
            out.append(
                rules.finding(
                    "amount-dash",
                    sheet=sheet,
                    cell=cell,
                    row=row,
                    project=name or None,
                    message=f"第{row}行{who}{_label(role)}（{cell}）为{a.note}",
                    actual=str(a.raw),
                )
            )
    return out


@dataclass
class MoneyUnit:
    row: int | None
    name: str | None
    amounts: dict[str, Amount] | None
    projects: list[tuple[int, str, dict[str, Amount]]] = field(default_factory=list)


@dataclass
class MoneyRows:
    grand: int | None
    grand_amounts: dict[str, Amount] | None
    units: list[MoneyUnit]


def _usable(amounts: list[Amount]) -> bool:
    return not any(a.is_invalid for a in amounts)


def _value(a: Amount | None) -> Decimal:
    return a.value if a is not None and a.value is not None else Decimal(0)


def _precision(amounts: list[Amount]) -> int:
    """Decimals of the coarsest value shown (blanks and dashes are exact zeros)."""
    shown = [a.decimals for a in amounts if a.status in ("number", "text")]
    return min(shown) if shown else 2


def _compare(
    actual: Amount | None, parts: list[Amount]
) -> tuple[Decimal, Decimal, Decimal, int] | None:
    """(expected, actual, difference, decimals to show) when they differ beyond the tolerance."""
    involved = [*parts, *([actual] if actual is not None else [])]
    if not _usable(involved):
        return None
    expected = sum((_value(p) for p in parts), Decimal(0))
    got = _value(actual)
    diff = got - expected
    if abs(diff) <= tolerance(_precision(involved)):
        return None
    shown = max((a.decimals for a in involved if a.status in ("number", "text")), default=2)
    return expected, got, diff, shown


def _money_message(
    what: str, expected: Decimal, actual: Decimal, diff: Decimal, d: int, basis: str
) -> str:
    return (
        f"{what}应为 {format_amount(expected, d)}（{basis}），"
        f"实为 {format_amount(actual, d)}，差额 {format_amount(diff, d)}"
    )


def _has_any(amounts: dict[str, Amount] | None) -> bool:
    return bool(amounts) and any(not a.is_blank for a in amounts.values())  # type: ignore[union-attr]


def row_total(
    sheet: str, row: int, name: str | None, amounts: dict[str, Amount], roles: dict[str, int],
    unit: str | None = None,
) -> Finding | None:  # fmt: skip
    """``row-total``: 总计 = the sum of every source column present (财政拨款, 财政专户拨款,
    其他资金 and the ``sources`` columns, whatever the table calls them)."""
    parts_roles = [r for r in amounts if r != "total"]
    if "total" not in amounts or not parts_roles or not _has_any(amounts):
        return None
    res = _compare(amounts["total"], [amounts[r] for r in parts_roles])
    if res is None:
        return None
    expected, actual, diff, d = res
    who = f"「{name}」" if name else ""
    basis = "+".join(_label(r) for r in parts_roles)
    cell = cell_ref(row, roles["total"])
    return rules.finding(
        "row-total",
        sheet=sheet,
        cell=cell,
        row=row,
        unit=unit,
        project=name,
        message=f"第{row}行{who}" + _money_message("总计", expected, actual, diff, d, basis),
        expected=_f(expected),
        actual=_f(actual),
        difference=_f(diff),
    )


def money_findings(sheet: str, roles: dict[str, int], rows: MoneyRows) -> list[Finding]:
    out: list[Finding] = []
    present = list(roles)  # every money column: the base roles and the sources
    # row totals: grand total, units, projects
    if rows.grand is not None and rows.grand_amounts is not None:
        f = row_total(sheet, rows.grand, "合计", rows.grand_amounts, roles)
        if f:
            out.append(f)
    row_fails: list[Finding] = []
    checked = 0
    for u in rows.units:
        if u.row is not None and u.amounts is not None:
            f = row_total(sheet, u.row, u.name, u.amounts, roles, unit=u.name)
            if f:
                row_fails.append(f)
        for prow, pname, pamounts in u.projects:
            checked += "total" in pamounts and _has_any(pamounts)
            f = row_total(sheet, prow, pname, pamounts, roles, unit=u.name)
            if f:
                row_fails.append(f)
    if len(row_fails) >= MISREAD_MIN_ROWS and len(row_fails) * 2 > max(checked, 1):
        out.append(_misread(sheet, roles, row_fails, checked))
    else:
        out.extend(row_fails)
    # unit subtotals
    for u in rows.units:
        if u.row is None or not _has_any(u.amounts) or not u.projects:
            continue
        assert u.amounts is not None
        for role in present:
            parts = [p[2][role] for p in u.projects]
            res = _compare(u.amounts[role], parts)
            if res is None:
                continue
            expected, actual, diff, d = res
            out.append(
                rules.finding(
                    "unit-subtotal",
                    sheet=sheet,
                    cell=cell_ref(u.row, roles[role]),
                    row=u.row,
                    unit=u.name,
                    message=f"第{u.row}行单位「{u.name}」"
                    + _money_message(_label(role), expected, actual, diff, d,
                                     f"其下 {len(u.projects)} 个项目之和"),
                    expected=_f(expected),
                    actual=_f(actual),
                    difference=_f(diff),
                )
            )  # fmt: skip
    # grand total
    if rows.grand is not None and _has_any(rows.grand_amounts):
        assert rows.grand_amounts is not None
        has_units = any(u.row is not None for u in rows.units)
        for role in present:
            parts: list[Amount] = []
            for u in rows.units:
                if u.row is not None and _has_any(u.amounts):
                    assert u.amounts is not None
                    parts.append(u.amounts[role])
                else:
                    parts.extend(p[2][role] for p in u.projects)
            if not parts:
                continue
            res = _compare(rows.grand_amounts[role], parts)
            if res is None:
                continue
            expected, actual, diff, d = res
            n_units = sum(1 for u in rows.units if u.row is not None)
            n_projects = sum(len(u.projects) for u in rows.units)
            basis = f"{n_units} 个单位之和" if has_units else f"{n_projects} 个项目之和"
            if has_units and any(u.row is None or not _has_any(u.amounts) for u in rows.units):
                basis = "各单位（无小计行的按其项目）之和"
            out.append(
                rules.finding(
                    "grand-total",
                    sheet=sheet,
                    cell=cell_ref(rows.grand, roles[role]),
                    row=rows.grand,
                    message=f"第{rows.grand}行合计的"
                    + _money_message(_label(role), expected, actual, diff, d, basis),
                    expected=_f(expected),
                    actual=_f(actual),
                    difference=_f(diff),
                )
            )
    return out


#: Rows failing 总计 = Σ sources, at least, and more than half of the rows, before the table
#: gets one ``money-columns-misread`` finding instead of one ``row-total`` per row.
MISREAD_MIN_ROWS = 3


def _misread(sheet: str, roles: dict[str, int], fails: list[Finding], checked: int) -> Finding:
    """One finding for a table whose money columns were probably misread: most rows fail the
    row check, so listing each row would hide the real errors."""
    cols = "、".join(f"{_label(k)}={col_letter(c)}列" for k, c in roles.items())
    rows = "、".join(str(f.row) for f in fails[:10]) + ("…" if len(fails) > 10 else "")
    first = fails[0]
    return rules.finding(
        "money-columns-misread",
        sheet=sheet,
        cell=first.cell,
        row=first.row,
        message=f"{len(fails)}/{checked} 行的总计不等于各资金来源之和（第{rows}行），"
        f"金额列可能识别有误：已识别 {cols}。请核对表头（见 README「识别的表头」）",
        expected=first.expected,
        actual=first.actual,
        difference=first.difference,
    )


# --------------------------------------------------------------------------------------------
# rows and fragments


def fragment_merged(
    sheet: str, row: int, cell: str | None, project: str, project_row: int, where: str,
    unit: str | None,
) -> Finding:  # fmt: skip
    pos = "开头" if where == "head" else "末尾"
    return rules.finding(
        "fragment-merged",
        sheet=sheet,
        cell=cell,
        row=row,
        unit=unit,
        project=project,
        message=f"第{row}行是分页断开的片段，已接到项目「{project}」（第{project_row}行）的{pos}",
    )


def fragment_orphan(sheet: str, row: int, cell: str | None, snippet: str, text: str) -> Finding:
    return rules.finding(
        "fragment-orphan",
        sheet=sheet,
        cell=cell,
        row=row,
        message=f"第{row}行只有文字、没有项目名称（「{snippet}」），无法判断属于哪个项目，"
        "未并入任何项目，请人工核对",
        actual=text,
    )


def special_cell(sheet: str, row: int, col: int, label: str, code: str) -> Finding:
    """``cell-error``: a text cell of the table that calamine read as empty although it holds an
    error value or a formula without a stored result (``SheetGrid.special``)."""
    cell = cell_ref(row, col)
    return rules.finding(
        "cell-error",
        sheet=sheet,
        cell=cell,
        row=row,
        message=f"第{row}行{label}（{cell}）{describe_special(code)}，按空白处理",
        actual=code,
    )


def unnamed_project(sheet: str, row: int, name_col: str, rows: list[int] | None = None) -> Finding:
    """``project-unnamed``; ``rows`` = the rows of a grid project (indicator rows without a
    project name above them), None for a packed row with amounts."""
    if rows and len(rows) > 1:
        what = f"第{rows[0]}–{rows[-1]}行的 {len(rows)} 行指标没有项目名称（项目名称列为空）"
    else:
        what = f"第{row}行有金额但没有项目名称"
    return rules.finding(
        "project-unnamed",
        sheet=sheet,
        cell=f"{name_col}{row}",
        row=row,
        message=f"{what}，已按无名项目处理",
    )


def subtotal_skipped(sheet: str, row: int, name: str) -> Finding:
    return rules.finding(
        "row-skipped",
        sheet=sheet,
        row=row,
        message=f"第{row}行「{name}」是页小计/小计行，未参与合计校验",
    )


def duplicate_grand_total(sheet: str, row: int, first_row: int, name: str) -> Finding:
    return rules.finding(
        "grand-total-duplicate",
        sheet=sheet,
        row=row,
        message=f"第{row}行是又一个「{name}」行（第{first_row}行已是合计），未参与校验",
    )


# --------------------------------------------------------------------------------------------
# indicators


def _one_line(text: str) -> str:
    """Messages are one line: line breaks inside quoted cell text become spaces."""
    return " ".join(text.splitlines()) if "\n" in text or "\r" in text else text


def _level_text(code: str | None, name: str | None) -> str:
    if code and name:
        return f"{code}-{name}"
    return code or name or "?"


# Parser warnings (perfsheet.core.indicators W_* texts) -> the rule that reports them. Matched by
# prefix so that warnings with details (``未知二级指标代码25``) fall in the right rule; anything
# not listed is ``indicator-unparsed`` (nothing the parser says is dropped).
_WARNING_RULES: tuple[tuple[str, str], ...] = (
    ("序号不连续", "indicator-numbering"),
    ("缺少序号", "indicator-numbering"),
    ("缺少一级指标", "indicator-category"),
    ("缺少二级指标", "indicator-category"),
    ("未知一级指标", "indicator-category"),
    ("未知二级指标", "indicator-category"),
    ("一级指标代码与名称不符", "indicator-category"),
    ("二级指标代码与名称不符", "indicator-category"),
    ("二级指标“", "indicator-category"),  # …不属于一级指标…
    ("缺少实施周期指标值", "indicator-missing-value"),
    ("缺少年度指标值", "indicator-missing-value"),
    ("实施周期指标值为空", "indicator-missing-value"),
    ("年度指标值为空", "indicator-missing-value"),
    ("缺少指标值", "indicator-missing-value"),  # also 缺少指标值标签
    ("指标内容待补充", "indicator-placeholder"),
    ("指标列：", "indicator-columns"),  # an export's 指标性质/计算符号/指标值/计量单位 disagree
)


def warning_rule(warning: str) -> str:
    """The ``indicator-*`` rule that reports a parser warning."""
    for prefix, rule in _WARNING_RULES:
        if warning.startswith(prefix):
            return rule
    return "indicator-unparsed"


def _is_placeholder(ind: Indicator) -> bool:
    targets = (ind.period_target, ind.annual_target)
    return any(t is not None and t.kind == "placeholder" for t in targets)


def _numbering_problems(seqs: list[int | None]) -> list[str]:
    problems: list[str] = []
    if any(s is None for s in seqs):
        problems.append(f"{sum(1 for s in seqs if s is None)} 项没有序号")
    numbered = [s for s in seqs if s is not None]
    if not numbered:
        return problems
    seen: set[int] = set()
    repeats: set[int] = set()
    for s in numbered:
        (repeats if s in seen else seen).add(s)
    missing = sorted(set(range(1, max(numbered) + 1)) - seen)
    if missing:
        problems.append("缺少序号 " + "、".join(map(str, missing)))
    if repeats:
        problems.append("序号重复 " + "、".join(map(str, sorted(repeats))))
    if not missing and not repeats and numbered != sorted(numbered):
        problems.append("序号顺序错乱")
    return problems


def indicator_findings(table: Table) -> list[Finding]:
    """``indicator-*`` findings (warnings) for every project of the table, in project order
    (:func:`project_indicator_findings` of each project)."""
    out: list[Finding] = []
    col = table.columns.get("indicators")
    for unit in table.units:
        for p in unit.projects:
            out.extend(project_indicator_findings(table.sheet, col, unit.name, p))
    return out


def project_indicator_findings(
    sheet: str, col: str | None, unit: str | None, p: Project
) -> list[Finding]:
    """``indicator-*`` findings (warnings) of one project (``col`` = the 绩效指标 column letter,
    ``unit`` = its unit's name); all on the project's row.

    - ``indicator-numbering``: one finding per project whose ``N、`` numbers are not 1..n;
    - per indicator, one finding per rule, from the parser's warnings (see
      :func:`warning_rule`) plus the structural checks done here (level 2 not under its level 1,
      placeholder targets, both values missing).
    """
    out: list[Finding] = []
    if not p.indicators:
        return out
    cell = f"{col}{p.row}" if col else None
    who = f"第{p.row}行项目「{p.name}」"

    def add(rule: str, message: str, *, seq: int | None = None, row: int | None = None) -> None:
        out.append(
            rules.finding(
                rule,
                sheet=sheet,
                cell=f"{col}{row}" if col and row is not None else cell,
                row=row if row is not None else p.row,
                unit=unit,
                project=p.name,
                message=_one_line(message),
                indicator=seq,
            )
        )

    seqs = [i.seq for i in p.indicators]
    problems = _numbering_problems(seqs)
    if problems:
        written = "、".join(str(s) if s is not None else "无" for s in seqs)
        add(
            "indicator-numbering",
            f"{who}的绩效指标编号不连续：{'；'.join(problems)}"
            f"（应为 1–{len(seqs)}，实为 {written}）",
        )
    for pos, ind in enumerate(p.indicators, start=1):
        l1, l2 = ind.level1_code, ind.level2_code
        if (
            not ind.warnings
            and not (l1 and l2 and not l2.startswith(l1))
            and not _is_placeholder(ind)
            and ((ind.period_value or "").strip() or (ind.annual_value or "").strip())
        ):
            continue  # nothing to report (the common case): no label, no buckets
        label = f"{who}第 {ind.seq if ind.seq is not None else pos} 项指标"
        if ind.name:
            label += f"「{ind.name}」"
        buckets: dict[str, list[str]] = {}
        for w in ind.warnings:
            rule = warning_rule(w)
            if rule != "indicator-numbering":  # reported once per project above
                buckets.setdefault(rule, []).append(w)
        if l1 and l2 and not l2.startswith(l1) and "indicator-category" not in buckets:
            buckets["indicator-category"] = [
                f"二级指标「{_level_text(l2, ind.level2)}」"
                f"不属于一级指标「{_level_text(l1, ind.level1)}」"
            ]
        if _is_placeholder(ind) and "indicator-placeholder" not in buckets:
            buckets["indicator-placeholder"] = ["指标内容待补充"]
        if (
            not (ind.period_value or "").strip()
            and not (ind.annual_value or "").strip()
            and "indicator-missing-value" not in buckets
            and "indicator-placeholder" not in buckets
        ):
            buckets["indicator-missing-value"] = ["缺少指标值"]
        for rule in (
            "indicator-category",
            "indicator-missing-value",
            "indicator-placeholder",
            "indicator-columns",
            "indicator-unparsed",
        ):
            if rule not in buckets:
                continue
            detail = "；".join(dict.fromkeys(buckets[rule]))
            if rule == "indicator-placeholder":
                period, annual = ind.period_value or "", ind.annual_value or ""
                text = (
                    f"{label}仍是待补充的占位内容"
                    f"（实施周期指标值「{period}」，年度指标值「{annual}」）"
                )
            elif rule == "indicator-unparsed":
                text = f"{label}未能完全解析：{detail}"
            elif rule == "indicator-category":
                text = f"{label}的指标类别有误：{detail}"
            elif rule == "indicator-columns":
                text = f"{label}的指标性质/计算符号/指标值/计量单位不一致：{detail}"
            else:
                text = f"{label}{detail}"
            add(rule, text, seq=ind.seq, row=ind.row)
    return out


def finding_key(f: Finding) -> tuple[int, int]:
    """The order of :func:`sort_findings`: row (None last), then severity."""
    return (f.row if f.row is not None else 10**9, _SEVERITY_ORDER[f.severity])


class FindingMerge:
    """Merge pre-sorted structural findings (:func:`sort_findings`) with per-project findings
    that arrive in project order (non-decreasing :func:`finding_key`), giving exactly
    ``sort_findings(structural + later)``: the stable sort puts the structural ones first
    among equal keys."""

    def __init__(self, structural: list[Finding]) -> None:
        self._items = structural
        self._next = 0

    def take(self, later: list[Finding]) -> list[Finding]:
        """``later`` (sorted) merged with the structural findings due up to its last one: a
        grid layout's project spans rows, with structural findings (fragments) among its
        indicator findings."""
        if not later:
            return []
        items, i = self._items, self._next
        out: list[Finding] = []
        for f in later:
            key = finding_key(f)
            while i < len(items) and finding_key(items[i]) <= key:
                out.append(items[i])
                i += 1
            out.append(f)
        self._next = i
        return out

    def rest(self) -> list[Finding]:
        """The structural findings not yet taken."""
        out = self._items[self._next :]
        self._next = len(self._items)
        return out


__all__ = [
    "LABELS",
    "FindingMerge",
    "MoneyRows",
    "MoneyUnit",
    "amount_findings",
    "col_letter",
    "finding_key",
    "fragment_merged",
    "fragment_orphan",
    "indicator_findings",
    "money_findings",
    "project_indicator_findings",
    "row_total",
    "sort_findings",
]
