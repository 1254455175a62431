"""Build example workbooks in the other layouts departments publish (issue 12).

    python examples/build_layout_examples.py            # writes into examples/
    python examples/build_layout_examples.py -o OUTDIR

The departments, projects and numbers are made up (a 示例县), and differ from the Guangzhou
example built by ``build_examples.py``. One workbook per layout:

- ``示例县教育局_项目支出绩效目标表_逐行.xlsx`` — a row list: one row per indicator, the project
  cells (序号, 单位名称, 项目名称, amounts, 年度绩效目标) merged vertically over the project's
  rows, 单位名称 over the unit's projects, 一级/二级指标 over their groups; a 合计 row.
- ``示例县卫生健康委员会_项目支出绩效目标表_系统导出.xlsx`` — a budget-system export: one row per
  indicator with every project cell repeated, 指标性质 / 计算符号 / 指标值 / 计量单位 / 分值 in
  separate columns, 101号 成本指标 rows.
- ``示例县农业农村局_项目支出绩效目标表_一表一项目.xlsx`` — single-project forms (项目支出绩效
  目标表), one per sheet; the third in the 101号 scheme (成本指标 first).
- ``示例县交通运输局_项目支出绩效目标表_多表一页.xls`` — three forms stacked on one sheet with
  page lines between them, the second with two periods (中期 / 年度); written as .xlsx, then
  converted to .xls (BIFF8) by LibreOffice headless (``soffice`` must be installed).

Reproducibility: the .xlsx files are byte-identical from build to build (fixed document
properties and creation time; XlsxWriter then writes fixed zip timestamps). The .xls carries
the same fixed properties through the conversion: with LibreOffice 7.4.7 two builds minutes
apart gave identical bytes, but another LibreOffice version may write other bytes. So the tests
compare its cells and merged ranges (the same as those of the .xlsx it is converted from, which
:func:`build_stacked_source` writes alone, without LibreOffice), not its bytes.

:func:`build_with_manifest` also returns, per file, what was written where (sheet, rows,
projects, indicators, as written) so that tests can derive exact expectations.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import xlsxwriter

HERE = Path(__file__).resolve().parent
CREATED = dt.datetime(2025, 1, 1, 0, 0, 0)

ROWS_NAME = "示例县教育局_项目支出绩效目标表_逐行.xlsx"
EXPORT_NAME = "示例县卫生健康委员会_项目支出绩效目标表_系统导出.xlsx"
FORMS_NAME = "示例县农业农村局_项目支出绩效目标表_一表一项目.xlsx"
STACKED_NAME = "示例县交通运输局_项目支出绩效目标表_多表一页.xls"

Manifest = dict[str, list[dict[str, Any]]]

_OUT, _BEN, _SAT, _COST = "产出指标", "效益指标", "满意度指标", "成本指标"
_QTY, _QUA, _TIME = "数量指标", "质量指标", "时效指标"
_SOC, _SAT2 = "社会效益指标", "服务对象满意度指标"


# --------------------------------------------------------------------------------------------
# data (made up)

EDU_UNIT_A = "示例县教育局（本级）"
EDU_UNIT_B = "示例县实验小学"
#: (unit, name, (总计, 财政拨款, 财政专户拨款, 其他资金), goal, [(一级, 二级, 三级, 指标值)])
EDU_PROJECTS: list[tuple[str, str, tuple[Any, ...], str, list[tuple[str, str, str, str]]]] = [
    (
        EDU_UNIT_A,
        "农村义务教育学生营养改善计划",
        (1286.40, 1286.40, None, None),
        "为农村义务教育阶段学生提供营养膳食补助，改善学生营养健康状况。",
        [
            (_OUT, _QTY, "受益学生人数", "≥10720人"),
            (_OUT, _QTY, "每生每天补助标准", "5元"),
            (_OUT, _QUA, "食品安全事故发生次数", "0次"),
            (_OUT, _TIME, "补助资金拨付时间", "每学期开学后1个月内"),
            (_BEN, _SOC, "学生营养健康状况", "持续改善"),
            (_SAT, _SAT2, "学生及家长满意度", "≥95%"),
        ],
    ),
    (
        EDU_UNIT_A,
        "学前教育普惠性资助",
        (342.00, 300.00, 42.00, None),
        "支持普惠性幼儿园发展，巩固学前教育普及普惠成果。",
        [
            (_OUT, _QTY, "享受生均补助幼儿人数", "≥5700人"),
            (_OUT, _QUA, "普惠性幼儿园覆盖率", "≥90%"),
            (_BEN, _SOC, "学前三年毛入园率", "≥92%"),
            (_SAT, _SAT2, "幼儿家长满意度", "≥90%"),
        ],
    ),
    (
        EDU_UNIT_B,
        "校园安保服务购买",
        (96.80, 96.80, None, None),
        "购买校园专职保安服务，保障师生在校安全。",
        [
            (_OUT, _QTY, "配备专职保安人数", "12人"),
            (_OUT, _QUA, "校园安全责任事故", "0起"),
            (_OUT, _TIME, "服务期限", "2025年1月-12月"),
            (_BEN, _SOC, "校园安全稳定", "有效保障"),
            (_SAT, _SAT2, "师生满意度", "≥90%"),
        ],
    ),
    (
        EDU_UNIT_B,
        "课后服务经费",
        (154.20, 120.00, None, 34.20),
        "开展课后延时服务，缓解家长接送负担。",
        [
            (_OUT, _QTY, "参加课后服务学生人数", "≥2300人"),
            (_OUT, _QUA, "课后服务学生参与率", "≥85%"),
            (_OUT, "成本指标", "生均课后服务成本", "≤670元/年"),
            (_BEN, _SOC, "家长接送负担", "有效缓解"),
            (_SAT, _SAT2, "家长满意度", "≥90%"),
        ],
    ),
]
EDU_TOTAL = (1879.40, 1803.20, 42.00, 34.20)

HEALTH_UNIT_A = "示例县卫生健康委员会（本级）"
HEALTH_UNIT_B = "示例县人民医院"
EXPORT_MONEY = ["项目金额", "一般公共预算拨款", "政府性基金预算拨款", "单位自有资金"]
_QN, _QL = "定量", "定性"
#: (unit, name, money as EXPORT_MONEY, goal,
#:  [(一级, 二级, 三级, 指标性质, 计算符号, 指标值, 计量单位, 分值)])
HEALTH_PROJECTS: list[tuple[str, str, tuple[Any, ...], str, list[tuple[Any, ...]]]] = [
    (
        HEALTH_UNIT_A,
        "计划生育家庭奖励扶助",
        (418.56, 418.56, 0, 0),
        "按标准足额发放农村部分计划生育家庭奖励扶助金。",
        [
            (_COST, "经济成本指标", "人均年扶助标准", _QN, "＝", 960, "元", 10),
            (_OUT, _QTY, "奖励扶助对象人数", _QN, "≥", 4360, "人", 15),
            (_OUT, _QUA, "扶助对象资格审核准确率", _QN, "=", 100, "%", 15),
            (_OUT, _TIME, "扶助资金发放时间", _QL, None, "2025年6月30日前", None, 10),
            (_BEN, _SOC, "计划生育家庭生活水平", _QL, None, "有所提高", None, 20),
            (_SAT, _SAT2, "扶助对象满意度", _QN, "≥", 95, "%", 10),
        ],
    ),
    (
        HEALTH_UNIT_A,
        "卫生应急物资储备",
        (120.00, 120.00, 0, 0),
        "储备卫生应急药品和防护物资，提高突发公共卫生事件应急处置能力。",
        [
            (_OUT, _QTY, "储备应急药品品种", _QN, "≥", 85, "种", 15),
            (_OUT, _QUA, "储备物资完好率", _QN, "大于等于", 98, "%", 15),
            (_OUT, _TIME, "应急物资调拨响应时间", _QN, "小于等于", 2, "小时", 10),
            (_BEN, _SOC, "突发公共卫生事件应急处置能力", _QL, None, "进一步增强", None, 20),
            (_SAT, _SAT2, "医疗卫生机构满意度", _QN, "不低于", 90, "%", 10),
        ],
    ),
    (
        HEALTH_UNIT_B,
        "医疗设备购置",
        (1650.00, 1200.00, 250.00, 200.00),
        "购置CT及彩色超声诊断设备，提升县域医疗服务能力。",
        [
            (_COST, "经济成本指标", "设备购置总成本", _QN, "≤", 1650, "万元", 10),
            (_OUT, _QTY, "购置CT设备", _QN, "=", 1, "台", 10),
            (_OUT, _QTY, "购置彩色超声诊断仪", _QN, "≥", 4, "台", 10),
            (_OUT, _QUA, "设备验收合格率", _QN, "=", "100", "%", 10),
            (_OUT, _TIME, "设备安装调试完成时间", _QL, None, "2025年10月31日前", None, 10),
            (_BEN, _SOC, "县域内就诊率", _QN, "≥", 90, "%", 20),
            (_SAT, _SAT2, "患者满意度", _QN, "≥", 90, "%", 10),
        ],
    ),
]

#: a form: (sheet or None, name, 主管部门及代码, 实施单位, money rows, goal, indicators,
#:          extra rows, 中长期目标 or None). Money rows: (label, 年度) or (label, 中期, 年度);
#:          indicators: (一级, 二级, 三级, 指标值) or (一级, 二级, 三级, 中期指标值, 年度指标值).
Form = tuple[Any, ...]
AGRI_DEPT = "208-示例县农业农村局"
AGRI_FORMS: list[Form] = [
    (
        "农村人居环境整治",
        "农村人居环境整治提升",
        AGRI_DEPT,
        "示例县农村人居环境服务中心",
        [("年度资金总额", 560), ("其中：财政拨款", 500), ("其他资金", 60)],
        "改造农村户用卫生厕所1200户，建设村庄生活污水处理设施8处，村容村貌明显改善。",
        [
            (_OUT, _QTY, "改造农村户用卫生厕所", "≥1200户"),
            (_OUT, _QTY, "建设村庄生活污水处理设施", "≥8处"),
            (_OUT, _QUA, "改厕验收合格率", "≥95%"),
            (_OUT, _TIME, "改造任务完成时间", "2025年11月30日前"),
            (_BEN, "生态效益指标", "农村生活污水治理率", "≥45%"),
            (_BEN, _SOC, "村容村貌", "明显改善"),
            (_SAT, _SAT2, "受益农户满意度", "≥90%"),
        ],
        [],
        None,
    ),
    (
        "农业社会化服务",
        "农业社会化服务项目",
        AGRI_DEPT,
        "示例县农业技术推广中心",
        [("年度资金总额", 210), ("其中：财政拨款", 210), ("其他资金", 0)],
        "支持服务组织开展托管服务6万亩，促进小农户与现代农业有机衔接。",
        [
            (_OUT, _QTY, "托管服务面积", "≥6万亩"),
            (_OUT, _QUA, "服务作业质量达标率", "≥95%"),
            (_OUT, "成本指标", "亩均作业补助标准", "≤35元/亩"),
            (_BEN, "经济效益指标", "服务对象亩均节本增效", "≥50元"),
            (_SAT, _SAT2, "服务对象满意度", "≥90%"),
        ],
        [("项目属性", "延续项目", "项目期", "2025年")],
        None,
    ),
    (
        "动物防疫物资",
        "动物防疫物资采购",
        AGRI_DEPT,
        "示例县动物疫病预防控制中心",
        [("年度资金总额", 136.8), ("其中：财政拨款", 136.8), ("其他资金", 0)],
        "按时采购配送强制免疫疫苗，确保春防、秋防免疫密度和质量。",
        [
            (_COST, "经济成本指标", "疫苗采购总成本", "≤136.8万元"),
            (_COST, "生态环境成本指标", "废弃疫苗瓶无害化处理率", "100%"),
            (_OUT, _QTY, "采购强制免疫疫苗", "≥280万毫升（头份）"),
            (_OUT, _QUA, "疫苗质量合格率", "100%"),
            (_OUT, _TIME, "疫苗配送到位时间", "春防、秋防开始前10日"),
            (_BEN, _SOC, "重大动物疫情发生次数", "0次"),
            (_SAT, _SAT2, "养殖户满意度", "≥90%"),
        ],
        [],
        None,
    ),
]

TRANSPORT_DEPT = "215-示例县交通运输局"
TRANSPORT_FORMS: list[Form] = [
    (
        None,
        "农村公路养护",
        TRANSPORT_DEPT,
        "示例县公路养护中心",
        [("年度资金总额", 1320), ("其中：财政拨款", 1200), ("其他资金", 120)],
        "完成农村公路日常养护860公里，及时修复水毁路段，保障农村公路安全畅通。",
        [
            (_OUT, _QTY, "养护农村公路里程", "≥860公里"),
            (_OUT, _QUA, "优良中等路率", "≥80%"),
            (_OUT, _TIME, "水毁路段修复时间", "≤15天"),
            (_BEN, _SOC, "群众出行条件", "持续改善"),
            (_SAT, _SAT2, "沿线群众满意度", "≥90%"),
        ],
        [],
        None,
    ),
    (
        None,
        "城乡客运一体化",
        TRANSPORT_DEPT,
        "示例县道路运输服务中心",
        [("资金总额", 2400, 800), ("其中：财政拨款", 2100, 700), ("其他资金", 300, 100)],
        "2025年新增公交化运营线路4条，更新新能源客车30辆。",
        [
            (_OUT, _QTY, "新增公交化运营线路", "≥12条", "≥4条"),
            (_OUT, _QTY, "更新新能源客车", "≥90辆", "≥30辆"),
            (_OUT, _QUA, "车辆安全技术检验合格率", "100%", "100%"),
            (_OUT, _TIME, "线路开通时间", "2027年底前", "2025年12月31日前"),
            (_BEN, _SOC, "建制村通客车率", "100%", "100%"),
            (_BEN, "生态效益指标", "新能源客车占比", "≥80%", "≥60%"),
            (_SAT, _SAT2, "乘客满意度", "≥90%", "≥90%"),
        ],
        [("项目属性", "新增项目", "项目期", "2025-2027年")],
        "到2027年新增公交化运营线路12条、更新新能源客车90辆，城乡客运基本实现公交化。",
    ),
    (
        None,
        "交通安全隐患整治",
        TRANSPORT_DEPT,
        "示例县交通运输综合行政执法大队",
        [("年度资金总额", 95), ("其中：财政拨款", 95), ("其他资金", 0)],
        "整治农村公路交通安全隐患路段24处，减少道路交通事故。",
        [
            (_OUT, _QTY, "整治隐患路段", "≥24处"),
            (_OUT, _QUA, "整治工程验收合格率", "100%"),
            (_OUT, _TIME, "整治完成时间", "2025年9月30日前"),
            (_BEN, _SOC, "道路交通事故起数", "同比下降"),
            (_SAT, _SAT2, "群众满意度", "≥90%"),
        ],
        [],
        None,
    ),
]


# --------------------------------------------------------------------------------------------
# writing


def _book(path: Path, subject: str) -> xlsxwriter.Workbook:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    wb.set_properties(
        {
            "title": "项目支出绩效目标表",
            "subject": subject,
            "author": "perfsheet examples",
            "company": "",
            "comments": "Built by examples/build_layout_examples.py (made-up data).",
            "created": CREATED,
        }
    )
    return wb


class _Fmt:
    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        box = {"border": 1, "valign": "vcenter", "font_size": 10, "text_wrap": True}
        self.title = wb.add_format({"bold": True, "font_size": 16, "align": "center"})
        self.meta = wb.add_format({"font_size": 11})
        self.header = wb.add_format({**box, "bold": True, "align": "center", "bg_color": "#DDEBF7"})
        self.label = wb.add_format({**box, "align": "center"})
        self.text = wb.add_format(box)
        self.amount = wb.add_format({**box, "num_format": "#,##0.00"})


def _cell(ws: Any, r: int, c: int, value: Any, fmt: Any) -> None:
    if value is None:
        ws.write_blank(r, c, None, fmt)
    elif isinstance(value, str):
        ws.write_string(r, c, value, fmt)
    else:
        ws.write_number(r, c, value, fmt)


def _span(ws: Any, r1: int, c1: int, r2: int, c2: int, value: Any, fmt: Any) -> None:
    """A merged range (0-based, inclusive) or a single cell."""
    if (r1, c1) == (r2, c2):
        _cell(ws, r1, c1, value, fmt)
    else:
        ws.merge_range(r1, c1, r2, c2, "", fmt)
        if value is not None:
            _cell(ws, r1, c1, value, fmt)


def _runs(keys: Sequence[Any]) -> list[tuple[int, int]]:
    """(first, last) index of each run of equal consecutive keys."""
    out: list[tuple[int, int]] = []
    for i, k in enumerate(keys):
        if out and keys[out[-1][0]] == k:
            out[-1] = (out[-1][0], i)
        else:
            out.append((i, i))
    return out


def _ind(l1: str, l2: str, name: str, period: Any, annual: Any, row: int, **kw: Any) -> dict:
    return {"level1": l1, "level2": l2, "name": name, "period_value": period,
            "annual_value": annual, "row": row, **kw}  # fmt: skip


def _money_fields(roles: Sequence[str | None], headers: Sequence[str], values: Sequence[Any]):
    out: dict[str, Any] = {"total": None, "fiscal": None, "special": None, "other": None}
    sources = {}
    for role, header, value in zip(roles, headers, values, strict=True):
        if role:
            out[role] = None if value is None else float(value)
        elif value is not None:
            sources[header] = float(value)
    out["sources"] = sources
    return out


ROWS_HEADER = [
    "序号",
    "单位名称",
    "项目名称",
    "总计",
    "财政拨款",
    "财政专户拨款",
    "其他资金",
    "年度绩效目标",
    "一级指标",
    "二级指标",
    "三级指标",
    "指标值",
]


def build_rows(out: Path) -> tuple[Path, list[dict[str, Any]]]:
    """示例县教育局: the row list with merged cells."""
    path = out / ROWS_NAME
    wb = _book(path, "示例县教育局 部门预算 项目支出绩效目标表（逐行）")
    f = _Fmt(wb)
    ws = wb.add_worksheet("项目支出绩效目标表")
    for c, width in enumerate([6, 20, 24, 11, 11, 11, 11, 34, 11, 16, 24, 18]):
        ws.set_column(c, c, width)
    title = "2025年示例县教育局项目支出绩效目标表"
    ws.merge_range(0, 0, 0, 11, title, f.title)
    ws.write_string(1, 0, "部门名称：示例县教育局", f.meta)
    ws.write_string(1, 11, "单位：万元", f.meta)
    for c, text in enumerate(ROWS_HEADER):
        ws.write_string(2, c, text, f.header)
    ws.merge_range(3, 0, 3, 2, "合计", f.label)
    for c, value in enumerate(EDU_TOTAL, start=3):
        _cell(ws, 3, c, value, f.amount)
    for c in range(7, 12):
        ws.write_blank(3, c, None, f.text)
    starts = [4]  # 0-based first row of each project (sheet row 5 for the first)
    for *_, inds in EDU_PROJECTS[:-1]:
        starts.append(starts[-1] + len(inds))
    projects = []
    for p, (unit, name, money, goal, inds) in enumerate(EDU_PROJECTS):
        first = starts[p]
        last = first + len(inds) - 1
        _span(ws, first, 0, last, 0, p + 1, f.label)
        _span(ws, first, 2, last, 2, name, f.text)
        for c, value in enumerate(money, start=3):
            _span(ws, first, c, last, c, value, f.amount)
        _span(ws, first, 7, last, 7, goal, f.text)
        for a, b in _runs([x[0] for x in inds]):
            _span(ws, first + a, 8, first + b, 8, inds[a][0], f.label)
        for a, b in _runs([(x[0], x[1]) for x in inds]):
            _span(ws, first + a, 9, first + b, 9, inds[a][1], f.label)
        for i, (_, _, text, value) in enumerate(inds):
            ws.write_string(first + i, 10, text, f.text)
            ws.write_string(first + i, 11, value, f.text)
        projects.append(
            {
                "name": name,
                "row": first + 1,
                "unit": unit,
                **_money_fields(["total", "fiscal", "special", "other"], ROWS_HEADER[3:7], money),
                "goal": goal,
                "indicators": [
                    _ind(l1, l2, text, None, value, first + i + 1)
                    for i, (l1, l2, text, value) in enumerate(inds)
                ],
            }
        )
    units = [x[0] for x in EDU_PROJECTS]
    for a, b in _runs(units):
        last = starts[b] + len(EDU_PROJECTS[b][4]) - 1
        _span(ws, starts[a], 1, last, 1, units[a], f.text)
    end = starts[-1] + len(EDU_PROJECTS[-1][4])
    ws.write_string(end + 1, 0, "注：本表金额单位为万元，绩效指标按项目逐条填列。", f.meta)
    ws.freeze_panes(3, 3)
    wb.close()
    table = {
        "sheet": "项目支出绩效目标表",
        "layout": "rows",
        "title": title,
        "department": "示例县教育局",
        "amount_unit": "万元",
        "grand_total": EDU_TOTAL[0],
        "grand_total_row": 4,
        "projects": projects,
    }
    return path, [table]


EXPORT_HEADER = [
    "单位名称",
    "项目名称",
    *EXPORT_MONEY,
    "绩效目标",
    "一级指标",
    "二级指标",
    "三级指标",
    "指标性质",
    "计算符号",
    "指标值",
    "计量单位",
    "分值",
]


def build_export(out: Path) -> tuple[Path, list[dict[str, Any]]]:
    """示例县卫生健康委员会: a budget-system export, one row per indicator, cells repeated."""
    path = out / EXPORT_NAME
    wb = _book(path, "示例县卫生健康委员会 部门预算 项目支出绩效目标表（系统导出）")
    f = _Fmt(wb)
    ws = wb.add_worksheet("项目绩效目标")
    for c, width in enumerate([26, 20, 11, 14, 14, 12, 34, 11, 16, 26, 8, 8, 10, 9, 6]):
        ws.set_column(c, c, width)
    title = "2025年示例县卫生健康委员会项目支出绩效目标表"
    ws.merge_range(0, 0, 0, len(EXPORT_HEADER) - 1, title, f.title)
    ws.write_string(1, 0, "部门名称：示例县卫生健康委员会", f.meta)
    ws.write_string(1, len(EXPORT_HEADER) - 1, "单位：万元", f.meta)
    for c, text in enumerate(EXPORT_HEADER):
        ws.write_string(2, c, text, f.header)
    r = 3
    projects = []
    for unit, name, money, goal, inds in HEALTH_PROJECTS:
        exp_inds = []
        first = r
        for l1, l2, text, kind, sym, value, unit_, score in inds:
            cells = [unit, name, *money, goal, l1, l2, text, kind, sym, value, unit_, score]
            for c, v in enumerate(cells):
                _cell(ws, r, c, v, f.amount if 2 <= c <= 5 else f.text)
            exp_inds.append(
                _ind(l1, l2, text, None, None, r + 1, kind=kind, sym=sym, val=value, unit=unit_)
            )
            r += 1
        projects.append(
            {
                "name": name,
                "row": first + 1,
                "unit": unit,
                **_money_fields(["total", "fiscal", None, None], EXPORT_MONEY, money),
                "goal": goal,
                "indicators": exp_inds,
            }
        )
    ws.freeze_panes(3, 2)
    ws.autofilter(2, 0, r - 1, len(EXPORT_HEADER) - 1)
    wb.close()
    table = {
        "sheet": "项目绩效目标",
        "layout": "rows",
        "title": title,
        "department": "示例县卫生健康委员会",
        "amount_unit": "万元",
        "grand_total": None,
        "grand_total_row": None,
        "projects": projects,
    }
    return path, [table]


_FORM_ROLES = {
    "年度资金总额": "total",
    "资金总额": "total",
    "其中：财政拨款": "fiscal",
    "财政专户管理资金": "special",
    "其他资金": "other",
}


def _write_form(ws: Any, f: _Fmt, r: int, form: Form, title: str) -> tuple[int, dict[str, Any]]:
    """One form in columns A–F from 0-based row ``r``; the next free row and the manifest."""
    _, name, dept, unit, money, goal, inds, extra, period_goal = form
    two = period_goal is not None
    ws.merge_range(r, 0, r, 5, title, f.title)
    ws.set_row(r, 28)
    name_row = r + 1
    ws.write_string(name_row, 0, "项目名称", f.label)
    ws.merge_range(name_row, 1, name_row, 5, name, f.text)
    r = name_row + 1
    rows = [("主管部门及代码", dept, "实施单位", unit), *extra]
    for a, b, c, d in rows:
        ws.write_string(r, 0, a, f.label)
        ws.merge_range(r, 1, r, 2, b, f.text)
        ws.write_string(r, 3, c, f.label)
        ws.merge_range(r, 4, r, 5, d, f.text)
        r += 1
    first = r
    if two:
        ws.merge_range(r, 1, r, 2, "", f.label)
        ws.write_string(r, 3, "中期资金总额", f.label)
        ws.merge_range(r, 4, r, 5, "年度资金总额", f.label)
        r += 1
    amounts: dict[str, Any] = {"total": None, "fiscal": None, "special": None, "other": None}
    period: dict[str, float] = {}
    for label, *values in money:
        ws.merge_range(r, 1, r, 2, label, f.text)
        if two:
            _cell(ws, r, 3, values[0], f.amount)
            ws.merge_range(r, 4, r, 5, "", f.amount)
            _cell(ws, r, 4, values[1], f.amount)
            period[_FORM_ROLES[label]] = float(values[0])
        else:
            ws.merge_range(r, 3, r, 5, "", f.amount)
            _cell(ws, r, 3, values[0], f.amount)
        amounts[_FORM_ROLES[label]] = float(values[-1])
        r += 1
    ws.merge_range(first, 0, r - 1, 0, "项目资金（万元）", f.label)
    if two:
        ws.merge_range(r, 0, r + 1, 0, "总体目标", f.label)
        ws.merge_range(r, 1, r, 3, "中长期目标", f.label)
        ws.merge_range(r, 4, r, 5, "年度目标", f.label)
        ws.merge_range(r + 1, 1, r + 1, 3, period_goal, f.text)
        ws.merge_range(r + 1, 4, r + 1, 5, goal, f.text)
        ws.set_row(r + 1, 60)
        r += 2
    else:
        ws.write_string(r, 0, "年度绩效目标", f.label)
        ws.merge_range(r, 1, r, 5, goal, f.text)
        ws.set_row(r, 45)
        r += 1
    grid = r
    if two:
        for c, text in enumerate(["一级指标", "二级指标", "三级指标", "中期指标值", "年度指标值"]):
            ws.write_string(r, c + 1, text, f.header)
    else:
        ws.write_string(r, 1, "一级指标", f.header)
        ws.write_string(r, 2, "二级指标", f.header)
        ws.merge_range(r, 3, r, 4, "三级指标", f.header)
        ws.write_string(r, 5, "指标值", f.header)
    r += 1
    top = r
    for a, b in _runs([x[0] for x in inds]):
        _span(ws, top + a, 1, top + b, 1, inds[a][0], f.label)
    for a, b in _runs([(x[0], x[1]) for x in inds]):
        _span(ws, top + a, 2, top + b, 2, inds[a][1], f.label)
    exp_inds = []
    for i, ind in enumerate(inds):
        if two:
            ws.write_string(r, 3, ind[2], f.text)
            ws.write_string(r, 4, ind[3], f.text)
            ws.write_string(r, 5, ind[4], f.text)
            exp_inds.append(_ind(ind[0], ind[1], ind[2], ind[3], ind[4], top + i + 1))
        else:
            ws.merge_range(r, 3, r, 4, ind[2], f.text)
            ws.write_string(r, 5, ind[3], f.text)
            exp_inds.append(_ind(ind[0], ind[1], ind[2], None, ind[3], top + i + 1))
        r += 1
    ws.merge_range(grid, 0, r - 1, 0, "绩效指标", f.label)
    project = {
        "name": name,
        "row": name_row + 1,
        "unit": unit,
        **amounts,
        "sources": {},
        "goal": goal,
        "period_goal": period_goal,
        "period_amounts": period,
        "extra": {k: v for a, b, c, d in extra for k, v in ((a, b), (c, d))},
        "indicators": exp_inds,
    }
    table = {
        "sheet": ws.name,
        "layout": "form",
        "title": title,
        "department": dept,
        "amount_unit": "万元",
        "grand_total": None,
        "grand_total_row": None,
        "projects": [project],
    }
    return r, table


FORM_WIDTHS = [14, 14, 18, 24, 14, 16]


def build_forms(out: Path) -> tuple[Path, list[dict[str, Any]]]:
    """示例县农业农村局: one form per sheet."""
    path = out / FORMS_NAME
    wb = _book(path, "示例县农业农村局 项目支出绩效目标表（一表一项目）")
    f = _Fmt(wb)
    tables = []
    for form in AGRI_FORMS:
        ws = wb.add_worksheet(form[0])
        for c, width in enumerate(FORM_WIDTHS):
            ws.set_column(c, c, width)
        _, table = _write_form(ws, f, 0, form, "项目支出绩效目标表（2025年度）")
        tables.append(table)
    wb.close()
    return path, tables


def build_stacked_source(out: Path) -> tuple[Path, list[dict[str, Any]]]:
    """示例县交通运输局: three forms stacked on one sheet (.xlsx, converted by build_stacked)."""
    path = out / (Path(STACKED_NAME).stem + ".xlsx")
    wb = _book(path, "示例县交通运输局 项目支出绩效目标表（多表一页）")
    f = _Fmt(wb)
    ws = wb.add_worksheet("Sheet1")
    for c, width in enumerate(FORM_WIDTHS):
        ws.set_column(c, c, width)
    r = 0
    tables = []
    pages = ["- 2 -", "- 3 -"]
    for k, form in enumerate(TRANSPORT_FORMS):
        if k:
            ws.write_string(r + 1, 3, pages[k - 1], f.meta)
            r += 3
        r, table = _write_form(ws, f, r, form, "项目支出绩效目标表")
        tables.append(table)
    ws.write_string(r, 0, "注：本表金额单位为万元。", f.meta)
    wb.close()
    return path, tables


def _soffice() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        raise SystemExit("LibreOffice (soffice) is needed to write the .xls example")
    return exe


def build_stacked(out: Path) -> tuple[Path, list[dict[str, Any]]]:
    """The stacked forms as .xls: the .xlsx source converted by LibreOffice headless."""
    with tempfile.TemporaryDirectory(prefix="perfsheet-xls-") as tmp:
        src, tables = build_stacked_source(Path(tmp))
        profile = Path(tmp) / "profile"
        proc = subprocess.run(
            [
                _soffice(),
                f"-env:UserInstallation={profile.as_uri()}",
                "--headless",
                "--convert-to",
                "xls",
                "--outdir",
                str(out),
                str(src),
            ],
            capture_output=True,
            text=True,
            timeout=180,
        )
    path = out / STACKED_NAME
    if proc.returncode != 0 or not path.exists():
        raise SystemExit(f"soffice could not convert {src.name}: {proc.stdout} {proc.stderr}")
    return path, tables


def build_xlsx_with_manifest(out: Path) -> tuple[list[Path], Manifest]:
    """The three .xlsx examples (no LibreOffice needed) and their manifest."""
    out.mkdir(parents=True, exist_ok=True)
    paths, manifest = [], {}
    for step in (build_rows, build_export, build_forms):
        path, tables = step(out)
        paths.append(path)
        manifest[path.name] = tables
    return paths, manifest


def build_with_manifest(out: Path = HERE) -> tuple[list[Path], Manifest]:
    paths, manifest = build_xlsx_with_manifest(out)
    path, tables = build_stacked(out)
    paths.append(path)
    manifest[path.name] = tables
    return paths, manifest


def build(out: Path = HERE) -> list[Path]:
    return build_with_manifest(out)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description="Build the layout example workbooks.")
    parser.add_argument("-o", "--outdir", type=Path, default=HERE)
    args = parser.parse_args()
    for path in build(args.outdir):
        print(path)


if __name__ == "__main__":
    main()
