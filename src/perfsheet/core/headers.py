"""The one catalogue of header names: which column texts perfsheet understands, and as what.

Every reader of a table (packed lists, row lists, budget-system exports, forms) asks
:func:`classify` what a header cell means; the README's list of recognised headers is generated
from :data:`CATALOGUE` (``python -m perfsheet.core.headers`` prints it, and a test keeps the
README in step). A header is normalized before matching (:func:`header_key`): whitespace and
HTML removed, full-width brackets and colons made half-width, a money unit such as ``（万元）``
dropped, leading ``*``/``※`` and a trailing ``:`` removed.

Matching is by exact text first, then by the ``contains`` / ``prefix`` patterns, in catalogue
order; the first entry that matches wins. ``rank`` breaks ties when two columns claim one role
(``项目名称`` beats ``单位名称`` for the project name).

Money columns: ``total`` is 总计; every other money entry is a *source* of it, and the row check
is 总计 = the sum of every source column present, whatever the table calls them. ``fiscal``,
``special`` and ``other`` keep their JSON fields (``amounts.fiscal`` …); the other sources
(政府性基金预算, 国有资本经营预算, 单位资金) and any second column of one kind are reported under
``amounts.sources`` by header text as written (see docs/json.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "CATALOGUE",
    "FORM_LABELS",
    "FORM_MID_MONEY",
    "FORM_YEAR_MONEY",
    "GRID_ROLES",
    "MONEY_ROLES",
    "NOT_MONEY",
    "SOURCE_ROLES",
    "TARGET_HELPERS",
    "HeaderEntry",
    "catalogue_markdown",
    "classify",
    "header_key",
    "helper_columns",
    "label_of",
]

_WS = re.compile(r"[\s\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff]+")
_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][a-zA-Z0-9:]*(?:\s[^<>]*)?/?\s*>")
_PARENS = str.maketrans({"（": "(", "）": ")", "：": ":", "【": "[", "】": "]", "，": ","})
_MONEY_UNIT = re.compile(r"[(\[](?:单位:|金额单位:)?(?:亿元|万元|千元|元)[)\]]")


def header_key(text: object) -> str:
    """A header text normalized for matching (see the module docstring)."""
    if text is None:
        return ""
    s = text if isinstance(text, str) else str(text)
    if "<" in s:
        s = _TAG.sub("", s)
    s = _WS.sub("", s).translate(_PARENS)
    s = _MONEY_UNIT.sub("", s)
    return s.strip("*※:")


@dataclass(frozen=True, slots=True)
class HeaderEntry:
    """One role of the catalogue and the header texts that name it."""

    role: str
    label: str  # Chinese name of the role (README, messages)
    exact: tuple[str, ...] = ()
    contains: tuple[str, ...] = ()  # every one of a group must occur: "项目+名称"
    prefix: tuple[str, ...] = ()
    rank: int = 2
    kind: str = "text"  # "name" | "money" | "text" | "grid" | "other"


def _e(role: str, label: str, kind: str, *, exact: str = "", contains: str = "",
       prefix: str = "", rank: int = 2) -> HeaderEntry:  # fmt: skip
    split = lambda s: tuple(x for x in s.split() if x)  # noqa: E731
    return HeaderEntry(role, label, split(exact), split(contains), split(prefix), rank, kind)


#: Roles of money columns, in output order. ``total`` is 总计; the others are its sources.
MONEY_ROLES = ("total", "fiscal", "special", "other", "fund", "capital", "unit_funds")
#: Money roles that are sources of 总计.
SOURCE_ROLES = MONEY_ROLES[1:]
#: Roles of the indicator grid (row lists, exports, forms).
GRID_ROLES = ("level1", "level2", "level3", "period_value", "value", "nature", "op",
              "measure", "weight")  # fmt: skip

# Order matters: the first entry that matches wins (specific before general).
CATALOGUE: tuple[HeaderEntry, ...] = (
    # --- columns that are never money, whatever their values look like
    _e("seq", "序号", "other", exact="序号 编号 行次 栏次 No. NO 序"),
    _e(
        "code",
        "编码",
        "other",
        exact="项目编码 项目代码 项目编号 单位编码 单位代码 部门编码 科目编码 "
        "功能科目编码 支出功能分类科目编码 主管部门编码 财政资金科目代码",
        prefix="项目编码 单位编码",
    ),
    # --- the indicator grid (before 绩效指标: 绩效指标名称 is a grid column)
    _e("level1", "一级指标", "grid", prefix="一级指标"),
    _e("level2", "二级指标", "grid", prefix="二级指标"),
    _e(
        "level3",
        "三级指标",
        "grid",
        exact="指标名称 三级指标名称 绩效指标名称 具体指标 指标 指标内容",
        prefix="三级指标",
    ),
    _e(
        "period_value",
        "实施周期指标值",
        "grid",
        exact="实施周期指标值 中期指标值 长期指标值 中长期指标值 实施期指标值 实施期目标值 "
        "中期目标值 长期目标值 实施周期目标值 总体指标值",
    ),
    _e(
        "value",
        "指标值",
        "grid",
        exact="指标值 年度指标值 指标值及单位 年度指标值及单位 目标值 年度目标值 当年预期实现值 "
        "本年度计划水平 计划指标值 指标值(或计划水平) 计划指标值(或计划水平) 年度计划值 指标目标值 "
        "绩效指标值 预期指标值 目标值(标准) 年度绩效指标值",
    ),
    _e("nature", "指标性质", "grid", exact="指标性质 指标类型 定量/定性 定性/定量 指标属性"),
    _e(
        "op",
        "计算符号",
        "grid",
        exact="计算符号 指标方向 运算符号 比较符号 比较符 符号 计算方向 指标值符号 运算符",
    ),
    _e("measure", "计量单位", "grid", exact="计量单位 度量单位 指标单位 指标值单位 单位(计量)"),
    _e("weight", "分值", "other", exact="分值 权重 指标分值 指标权重 分值(权重)"),
    # --- project name, unit
    _e("name", "项目名称", "name", contains="项目+名称", rank=3),
    _e(
        "name",
        "项目名称",
        "name",
        exact="项目支出名称 项目 项目(资金使用单位) 资金使用单位 单位名称 项目单位 预算项目",
        rank=1,
    ),
    # --- money
    _e("special", "财政专户管理资金", "money", contains="财政专户"),
    _e("fund", "政府性基金预算", "money", contains="政府性基金"),
    _e("capital", "国有资本经营预算", "money", contains="国有资本经营"),
    _e(
        "fiscal",
        "财政拨款",
        "money",
        exact="财政资金 其中:财政资金 财政 一般公共预算 一般公共预算拨款 其中:一般公共预算拨款 "
        "一般公共预算资金 公共财政拨款 公共财政预算拨款 本级财政拨款 财政补助 财政补助收入 "
        "当年财政拨款 其中:当年财政拨款 本年财政拨款 其中:本年财政拨款",
        contains="财政拨款",
    ),
    _e(
        "unit_funds",
        "单位资金",
        "money",
        exact="单位资金 单位自有资金 自有资金 单位自筹 单位自筹资金 自筹资金 事业收入 经营收入 "
        "经营性收入 事业单位经营收入 上年结转 上年结转资金 上年结余 其他收入 事业基金 "
        "用事业基金弥补收支差额 事业基金弥补差额 附属单位上缴收入 上级补助收入",
    ),
    _e(
        "other",
        "其他资金",
        "money",
        exact="其他 其它",
        prefix="其他资金 其它资金 其中:其他资金 其中:其它资金",
    ),
    _e(
        "total",
        "总计",
        "money",
        exact="总计 合计 金额合计 资金合计 总额 资金总额 项目资金总额 预算总额 年度资金总额 总金额 "
        "预算金额 项目总预算 预算数 项目金额 年度预算数 预算合计 本年预算数 项目资金 年度预算 "
        "资金总计 项目预算 项目预算数 年度预算金额 当年年度预算",
    ),
    _e("total", "总计", "money", prefix="总计 合计", rank=1),
    # --- texts
    _e(
        "indicators",
        "绩效指标",
        "text",
        exact="绩效指标值 年度绩效指标 绩效指标内容",
        contains="绩效指标",
    ),
    _e(
        "goal",
        "绩效目标",
        "text",
        exact="年度目标 项目目标 目标 总体目标 年度绩效目标 项目绩效目标 绩效目标内容 年度总体目标",
        contains="绩效目标",
    ),
    # --- other known columns (kept as extra columns, never money). A department column gives
    # the table's department, a unit column each project's unit (core/department.py).
    _e(
        "department",
        "主管部门",
        "other",
        exact="部门名称 部门 主管部门 主管部门名称 主管部门及代码 主管部门(及代码) 预算部门 "
        "预算部门名称 部门(单位)名称",
    ),
    _e(
        "unit",
        "单位",
        "other",
        exact="预算单位 预算单位名称 实施单位 实施单位名称 项目实施单位 单位 填报单位",
    ),
    _e(
        "note",
        "备注",
        "other",
        exact="备注 说明 绩效标准 指标解释 评分标准 指标说明 计算公式 "
        "项目类别 项目性质 项目类型 项目期限 实施期限 资金性质 支出类型 项目属性",
    ),
)

#: The target helper columns 解析指标 writes right of a row list or form (比较符 … 问题). Some
#: of them are also export headers (计算符号 aliases, 计量单位, 定量/定性): a run of all of
#: them, in order, in adjacent columns is perfsheet's own output and never part of a table.
TARGET_HELPERS: tuple[str, ...] = ("比较符", "目标值", "计量单位", "定量/定性", "问题")

#: Label cells of a form (one project per block, core/form.py), by what their value is: the
#: label sits left of its value (or above it, for the goals). Matched on :func:`header_key`
#: without colons. Money labels of a form are the money entries of :data:`CATALOGUE`.
FORM_LABELS: dict[str, frozenset[str]] = {
    "name": frozenset({"项目名称", "项目支出名称", "项目名称(资金使用单位)", "预算项目名称"}),
    "department": frozenset({"主管部门", "主管部门及代码", "主管部门(及代码)", "预算部门",
                             "部门名称", "主管部门名称", "部门(单位)名称"}),
    "unit": frozenset({"实施单位", "项目实施单位", "预算单位", "项目单位", "资金使用单位",
                       "实施单位名称", "填报单位"}),
    "goal": frozenset({"年度绩效目标", "年度目标", "绩效目标", "本年度绩效目标", "年度总体目标",
                       "本年度目标", "年度绩效目标(90分)"}),
    "long_goal": frozenset({"中长期目标", "实施周期目标", "长期目标", "总体目标", "实施期绩效目标",
                            "中期目标", "长期绩效目标", "实施期目标", "整体目标"}),
}  # fmt: skip
FORM_LABEL_NAMES = {"name": "项目名称", "department": "主管部门（表格的部门）",
                    "unit": "实施单位（项目的单位）", "goal": "年度绩效目标",
                    "long_goal": "中长期目标"}  # fmt: skip
#: A form's money block with two value columns: the mid-term and the annual column headers.
FORM_MID_MONEY = re.compile(r"^(?:中期|实施期|实施周期|项目期)(?:资金)?(?:总额|预算|资金)")
FORM_YEAR_MONEY = re.compile(r"^(?:年度|本年|当年)(?:资金)?(?:总额|预算|资金)")


#: Roles whose columns are never read as money, even when they hold numbers.
NOT_MONEY = frozenset({"seq", "code", "weight", "department", "unit", "note"})

_EXACT: dict[str, HeaderEntry] = {}
for _entry in CATALOGUE:
    for _t in _entry.exact:
        _EXACT.setdefault(_t, _entry)


def _matches(entry: HeaderEntry, key: str) -> bool:
    if any(key.startswith(p) for p in entry.prefix):
        return True
    return any(all(part in key for part in group.split("+")) for group in entry.contains)


def classify(text: object) -> HeaderEntry | None:
    """The catalogue entry a header text names, or None when it names none."""
    key = header_key(text)
    if not key:
        return None
    hit = _EXACT.get(key)
    if hit is not None:
        return hit
    for entry in CATALOGUE:
        if _matches(entry, key):
            return entry
    if key.startswith("其中") and len(key) > 3:  # 其中：一般公共预算 is 一般公共预算 (of which)
        return classify(key[3:] if key[2] == ":" else key[2:])
    return None


def helper_columns(texts: dict[int, object]) -> set[int]:
    """The columns of every run of :data:`TARGET_HELPERS` in one header row (column -> text)."""
    out: set[int] = set()
    n = len(TARGET_HELPERS)
    for col in sorted(texts):
        if header_key(texts[col]) == TARGET_HELPERS[0] and all(
            header_key(texts.get(col + i)) == h for i, h in enumerate(TARGET_HELPERS)
        ):
            out.update(range(col, col + n))
    return out


def catalogue_markdown() -> str:
    """The README table of recognised headers (generated from :data:`CATALOGUE`)."""
    lines = [
        "| 含义 | 识别的表头文字（忽略空格、全半角括号、开头的“其中：”和“（万元）”等金额单位） |",
        "|---|---|",
    ]
    by_label: dict[str, list[str]] = {}
    for entry in CATALOGUE:
        texts = by_label.setdefault(entry.label, [])
        texts.extend(f"`{t}`" for t in entry.exact)
        texts.extend(f"含`{g.replace('+', '`和`')}`" for g in entry.contains)
        texts.extend(f"以`{p}`开头" for p in entry.prefix)
    for label, texts in by_label.items():
        lines.append(f"| {label} | {'、'.join(dict.fromkeys(texts))} |")
    for role, names in FORM_LABELS.items():
        # a form's label cells (the label left of its value, or above it for the goals)
        written = "、".join(f"`{t}`" for t in sorted(names))
        lines.append(f"| 表单栏目：{FORM_LABEL_NAMES[role]} | {written} |")
    return "\n".join(lines)


def label_of(role: str) -> str:
    """The Chinese label of a role (``fund`` -> 政府性基金预算)."""
    for entry in CATALOGUE:
        if entry.role == role:
            return entry.label
    return role


if __name__ == "__main__":  # pragma: no cover - prints the README table
    print(catalogue_markdown())
