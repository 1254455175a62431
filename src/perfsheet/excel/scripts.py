"""xlwings Lite / xlwings Server registrations of the ribbon actions.

Lite has no custom ribbon: these ``@script`` functions appear as buttons in the task pane
(and can be bound to sheet buttons). A workbook's ``main.py`` needs only::

    from perfsheet.excel.functions import *  # noqa: F403
    from perfsheet.excel.scripts import *  # noqa: F403

Each script calls the same action as the classic ribbon button (see
:mod:`perfsheet.excel.ribbon`). In classic xlwings these decorators are no-ops on
Linux/macOS and ``Sub`` registrations on Windows; the classic add-in does not import this
module.
"""

from __future__ import annotations

import xlwings as xw
from xlwings import script

from perfsheet.excel.ribbon import dispatch

__all__ = [
    "perf_batch_convert",
    "perf_check_totals",
    "perf_export_template",
    "perf_generate_summary",
    "perf_parse_sheet",
]

MSG_NO_FOLDERS = (
    "批量转换需要访问本机文件夹：请在 Windows/macOS 桌面版 Excel 的“绩效指标”选项卡中使用，"
    "或在命令行运行 perfsheet convert。"
)


@script(name="解析指标")
def perf_parse_sheet(book: xw.Book) -> None:
    """解析当前工作表的绩效指标，写入辅助列。"""
    dispatch(book, "parse")


@script(name="校验合计")
def perf_check_totals(book: xw.Book) -> None:
    """校验金额合计，标出错误单元格并生成“校验结果”表。"""
    dispatch(book, "check")


@script(name="生成汇总")
def perf_generate_summary(book: xw.Book) -> None:
    """在当前工作簿中生成标准汇总表。"""
    dispatch(book, "summary")


@script(name="批量转换")
def perf_batch_convert(book: xw.Book) -> None:
    """批量转换一个文件夹（仅桌面版；在浏览器中给出说明）。"""
    book.app.alert(MSG_NO_FOLDERS, title="绩效指标")


@script(name="导出模板")
def perf_export_template(book: xw.Book) -> None:
    """把内置汇总模板导出到工作簿旁（Lite 中不知道工作簿所在的文件夹，只给出说明）。"""
    dispatch(book, "template")
