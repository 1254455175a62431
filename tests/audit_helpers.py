"""Builders for hand-made indicators in the audit tests (no parser involved)."""

from __future__ import annotations

from perfsheet.core.models import Indicator, Target

LEVEL1 = {"1": "产出指标", "2": "效益指标", "3": "满意度指标", "4": "成本指标"}
LEVEL2 = {
    "11": "数量指标",
    "12": "质量指标",
    "13": "时效指标",
    "14": "成本指标",
    "21": "经济效益指标",
    "22": "社会效益指标",
    "23": "生态效益指标",
    "24": "可持续影响指标",
    "31": "服务对象满意度指标",
    "41": "经济成本指标",
    "42": "社会成本指标",
    "43": "生态环境成本指标",
}


def qt(op: str | None, value: float, unit: str | None = None, raw: str | None = None) -> Target:
    """A quantitative target."""
    shown = raw if raw is not None else f"{op or ''}{value:g}{unit or ''}"
    return Target(
        kind="quantitative",
        op=op or "=",  # type: ignore[arg-type]
        value=value,
        unit=unit,
        base_value=value,
        base_unit=unit,
        implicit_op=op is None,
        raw=shown,
    )


def ql(text: str) -> Target:
    """A qualitative target."""
    return Target(kind="qualitative", raw=text)


def ph(text: str = "待单位补充...") -> Target:
    return Target(kind="placeholder", raw=text)


def dl(text: str) -> Target:
    return Target(kind="deadline", raw=text)


def ind(
    seq: int,
    l2_code: str,
    name: str,
    period: Target | str,
    annual: Target | str | None = None,
) -> Indicator:
    """An indicator under level-2 code ``l2_code`` (level 1 from its first digit).

    ``period``/``annual`` are targets, or text for a qualitative value; ``annual`` defaults to
    the period target.
    """
    p = ql(period) if isinstance(period, str) else period
    a = p if annual is None else (ql(annual) if isinstance(annual, str) else annual)
    l1_code = l2_code[0]
    return Indicator(
        seq=seq,
        level1=LEVEL1[l1_code],
        level1_code=l1_code,
        level2=LEVEL2[l2_code],
        level2_code=l2_code,
        legacy=l2_code in ("14", "24"),
        name=name,
        period_value=p.raw,
        annual_value=a.raw,
        period_target=p,
        annual_target=a,
    )


def complete(*extra: Indicator) -> list[Indicator]:
    """A clean project (产出 + 效益 + 满意度) followed by ``extra`` indicators."""
    base = [
        ind(1, "11", "培训人数", qt("≥", 390, "人")),
        ind(2, "12", "资金支出合规性", "合规"),
        ind(3, "13", "资金拨付及时率", qt(None, 100, "%")),
        ind(4, "22", "带动就业人数", qt("≥", 1.4, "万人")),
        ind(5, "31", "参加培训学员满意度", qt("≥", 90, "%")),
    ]
    return base + [e.model_copy(update={"seq": 6 + i}) for i, e in enumerate(extra)]
