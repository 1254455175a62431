"""The indicator framework: level-1 / level-2 categories, their codes, aliases and legacy flags.

Source: domain notes §1.2 (code table), §1.3 (财预〔2021〕101号: 成本 becomes its own level 1;
14 and 24 are the old scheme), §1.4 (local synonyms), §7.1 (machine-readable table).

Decisions:

- Normalize **by code first** (``21-经济效益`` -> 经济效益指标), then by name/alias when the text
  carries no code. When a code and a written name disagree (``11-质量指标``) the code wins and
  :func:`resolve_level2` reports a conflict.
- Codes 14 (成本指标 under 产出) and 24 (可持续影响指标) are accepted and marked ``legacy``.
- ``成本指标`` is both level 1 (code 4) and the legacy level 2 (code 14): by name, position decides
  (first field: level 1; second field under 产出: 14; otherwise level 1 code 4 is not a level 2).
- Name lookup ignores whitespace and a parenthetical (``数量指标(或建筑规模指标)`` -> 数量指标).
- The merged alias ``社会、经济、生态效益指标`` (§1.4) is ambiguous and not resolved.
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = [
    "LEVEL1",
    "LEVEL1_ALIASES",
    "LEVEL2",
    "LEVEL2_ALIASES",
    "Level2Info",
    "Resolved",
    "is_child",
    "is_legacy",
    "level1_code_of",
    "level1_name",
    "level2_code_of",
    "level2_codes_under",
    "level2_name",
    "parent_code",
    "resolve_level1",
    "resolve_level2",
]


class Level2Info(NamedTuple):
    name: str
    parent: str
    legacy: bool = False


#: Level-1 code -> canonical name.
LEVEL1: dict[str, str] = {
    "1": "产出指标",
    "2": "效益指标",
    "3": "满意度指标",
    "4": "成本指标",  # since 财预〔2021〕101号
}

#: Level-2 code -> (canonical name, parent level-1 code, legacy).
LEVEL2: dict[str, Level2Info] = {
    "11": Level2Info("数量指标", "1"),
    "12": Level2Info("质量指标", "1"),
    "13": Level2Info("时效指标", "1"),
    "14": Level2Info("成本指标", "1", True),  # pre-101号: cost under 产出
    "21": Level2Info("经济效益指标", "2"),
    "22": Level2Info("社会效益指标", "2"),
    "23": Level2Info("生态效益指标", "2"),
    "24": Level2Info("可持续影响指标", "2", True),  # pre-101号
    "31": Level2Info("服务对象满意度指标", "3"),
    "41": Level2Info("经济成本指标", "4"),
    "42": Level2Info("社会成本指标", "4"),
    "43": Level2Info("生态环境成本指标", "4"),
}

#: Written level-1 name (normalized key) -> code. Canonical names are included.
LEVEL1_ALIASES: dict[str, str] = {
    "产出指标": "1",
    "产出": "1",
    "预期产出指标": "1",
    "预期产出": "1",
    "效益指标": "2",
    "效益": "2",
    "效果指标": "2",
    "效果": "2",
    "满意度指标": "3",
    "满意度": "3",
    "成本指标": "4",
    "成本": "4",
}

#: Written level-2 name (normalized key) -> code. ``成本指标`` (14) is handled by position.
LEVEL2_ALIASES: dict[str, str] = {
    "数量指标": "11",
    "数量": "11",
    "建筑规模指标": "11",
    "质量指标": "12",
    "质量": "12",
    "时效指标": "13",
    "时效": "13",
    "工期指标": "13",
    "形象进度指标": "13",
    "经济效益指标": "21",
    "经济效益": "21",
    "社会效益指标": "22",
    "社会效益": "22",
    "生态效益指标": "23",
    "生态效益": "23",
    "环境效益指标": "23",
    "环境效益": "23",
    "可持续影响指标": "24",
    "可持续影响": "24",
    "服务对象满意度指标": "31",
    "服务对象满意度": "31",
    "社会公众或服务对象满意度指标": "31",
    "社会公众或服务对象满意度": "31",
    "经济成本指标": "41",
    "经济成本": "41",
    "社会成本指标": "42",
    "社会成本": "42",
    "生态环境成本指标": "43",
    "生态环境成本": "43",
    "环境成本指标": "43",
}

_KEY_RE = re.compile(r"\s+|[（(][^（）()]*[）)]")


def _key(name: str) -> str:
    if " " in name or "(" in name or "（" in name or "\t" in name or "\n" in name:
        return _KEY_RE.sub("", name)
    return name


def level1_name(code: str | None) -> str | None:
    """Canonical level-1 name of ``code`` (``"1"`` -> 产出指标), or None when unknown."""
    return LEVEL1.get(code) if code else None


def level2_name(code: str | None) -> str | None:
    """Canonical level-2 name of ``code`` (``"21"`` -> 经济效益指标), or None when unknown."""
    info = LEVEL2.get(code) if code else None
    return info.name if info else None


def parent_code(level2_code: str | None) -> str | None:
    """The level-1 code a known level-2 code belongs to (``"42"`` -> ``"4"``), else None."""
    info = LEVEL2.get(level2_code) if level2_code else None
    return info.parent if info else None


def is_child(level2_code: str | None, level1_code: str | None) -> bool:
    """True when the level-2 code is a known code under the given level-1 code."""
    return parent_code(level2_code) == level1_code if level1_code else False


def is_legacy(level2_code: str | None) -> bool:
    """True for old-scheme level-2 codes (14 成本 under 产出, 24 可持续影响)."""
    info = LEVEL2.get(level2_code) if level2_code else None
    return bool(info and info.legacy)


def level2_codes_under(level1_code: str) -> list[str]:
    """All known level-2 codes under a level-1 code, in code order."""
    return [c for c, info in LEVEL2.items() if info.parent == level1_code]


def level1_code_of(name: str | None) -> str | None:
    """Level-1 code for a written name or alias (``效果指标`` -> ``"2"``), else None."""
    if not name:
        return None
    return LEVEL1_ALIASES.get(_key(name))


def level2_code_of(name: str | None, level1_code: str | None = None) -> str | None:
    """Level-2 code for a written name or alias, else None.

    ``成本指标`` is 14 (legacy) only under 产出 (``level1_code == "1"``); ``满意度指标`` as a
    level 2 (the "具体指标" UI option, §1.4) is 31.
    """
    if not name:
        return None
    k = _key(name)
    code = LEVEL2_ALIASES.get(k)
    if code:
        return code
    if k in ("成本指标", "成本") and level1_code == "1":
        return "14"
    if k in ("满意度指标", "满意度", "具体指标") and level1_code in (None, "3"):
        return "31"
    return None


class Resolved(NamedTuple):
    """A category field resolved: canonical name, code, legacy flag and a problem if any."""

    name: str | None
    code: str | None
    legacy: bool = False
    problem: str | None = None  # short Chinese text


def resolve_level1(code: str | None, written: str | None) -> Resolved:
    """Resolve a level-1 field given as ``code`` and/or ``written`` name.

    By code when there is one (unknown code: the written name is kept and a problem reported);
    otherwise by name/alias.
    """
    if code:
        name = LEVEL1.get(code)
        if name is None:
            return Resolved(written or None, code, False, f"未知一级指标代码{code}")
        if written:
            by_name = level1_code_of(written)
            if by_name is not None and by_name != code:
                return Resolved(name, code, False, f"一级指标代码与名称不符：{code}-{written}")
        return Resolved(name, code)
    if written:
        c = level1_code_of(written)
        if c is not None:
            return Resolved(LEVEL1[c], None)
        return Resolved(written, None, False, f"未知一级指标：{written}")
    return Resolved(None, None)


def resolve_level2(code: str | None, written: str | None, level1_code: str | None) -> Resolved:
    """Resolve a level-2 field; ``level1_code`` is the (resolved) parent code if known.

    Reports an unknown code, a code/name conflict, or a level 2 not under its level 1.
    """
    problem: str | None = None
    if code:
        info = LEVEL2.get(code)
        if info is None:
            return Resolved(written or None, code, False, f"未知二级指标代码{code}")
        if written:
            by_name = level2_code_of(written, info.parent)
            if by_name is not None and by_name != code:
                problem = f"二级指标代码与名称不符：{code}-{written}"
        if problem is None and level1_code and info.parent != level1_code:
            problem = f"二级指标“{info.name}”不属于一级指标“{LEVEL1.get(level1_code, level1_code)}”"
        return Resolved(info.name, code, info.legacy, problem)
    if written:
        c = level2_code_of(written, level1_code)
        if c is None:
            return Resolved(written, None, False, f"未知二级指标：{written}")
        info = LEVEL2[c]
        if level1_code and info.parent != level1_code:
            problem = f"二级指标“{info.name}”不属于一级指标“{LEVEL1.get(level1_code, level1_code)}”"
        return Resolved(info.name, None, info.legacy, problem)
    return Resolved(None, None)
