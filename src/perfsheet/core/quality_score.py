"""指标质量: the 0–100 score of one project in 项目汇总, and its findings per audit rule.

    指标质量 = round(70 × 合格指标数 / 指标数 + 30 × 已覆盖的必备类别数 / 必备类别数)

An indicator is 合格 unless a ``warning``/``error`` finding of an ``indicator-*`` rule points at
it (``Finding.indicator``) or one of its values is a placeholder or missing; the coverage term
is full when ``indicator-coverage`` is disabled or nothing is required; a project without
indicators scores 0. The findings come from the audit (:mod:`perfsheet.core.audit`).
"""

from __future__ import annotations

from collections.abc import Iterable

from perfsheet.core.audit import COVERAGE, QUALITY_RULES, AuditRules, default_rules
from perfsheet.core.audit_heuristics import (
    canonical_level1,
    canonical_level2,
    indicator_values,
    is_placeholder_text,
    is_placeholder_value,
)
from perfsheet.core.models import Finding, Indicator, Project

__all__ = ["project_findings", "quality_counts", "quality_score"]


def project_findings(findings: Iterable[Finding], project: Project) -> list[Finding]:
    """The findings that belong to ``project`` (same name and row)."""
    return [
        f for f in findings if f.project == project.name and (f.row is None or f.row == project.row)
    ]


def quality_counts(findings: Iterable[Finding], project: Project | None = None) -> dict[str, int]:
    """Number of findings per audit rule (all seven ids, zeros included), optionally only those
    of ``project``."""
    selected = project_findings(findings, project) if project is not None else list(findings)
    counts = dict.fromkeys(QUALITY_RULES, 0)
    for f in selected:
        if f.rule in counts:
            counts[f.rule] += 1
    return counts


def _indicator_ok(ind: Indicator) -> bool:
    if is_placeholder_text(ind.name):
        return False
    values = indicator_values(ind)
    if not values:
        return False
    for v in values:
        if is_placeholder_value(v) or (v.target is not None and v.target.kind == "empty"):
            return False
    return True


def quality_score(
    project: Project, findings: Iterable[Finding], rules: AuditRules | None = None
) -> int:
    """指标质量 (0–100) of one project, from its indicators and findings.

    ``round(70 × 合格指标数 / 指标数 + 30 × 已覆盖的必备类别数 / 必备类别数)``:

    - an indicator is 合格 unless a ``warning``/``error`` finding of an ``indicator-*`` rule
      names it (``Finding.indicator`` = its 序号) or its name or a value is a placeholder
      (待单位补充…) or missing;
    - 必备类别 are ``rules.required_categories`` (产出/效益/满意度指标 by default); the coverage
      term is 30 when ``indicator-coverage`` is disabled or nothing is required;
    - a project without indicators scores 0.

    ``findings`` may be the project's findings or a whole table's (filtered by project name and
    row); findings of other projects are ignored.
    """
    rules = rules or default_rules()
    indicators = project.indicators
    if not indicators:
        return 0
    flagged = {
        f.indicator
        for f in project_findings(findings, project)
        if f.indicator is not None
        and f.severity in ("error", "warning")
        and f.rule.startswith("indicator-")
    }
    good = sum(1 for ind in indicators if ind.seq not in flagged and _indicator_ok(ind))
    required = rules.required_categories if rules.enabled(COVERAGE) else ()
    if required:
        present = {
            c for ind in indicators for c in (canonical_level1(ind), canonical_level2(ind)) if c
        }
        coverage = sum(1 for c in required if c in present) / len(required)
    else:
        coverage = 1.0
    score = 70 * good / len(indicators) + 30 * coverage
    return max(0, min(100, int(score + 0.5)))
