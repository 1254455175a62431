"""ribbon.run(tag): the classic path through Book.caller(), against xlwings' remote engine."""

from __future__ import annotations

import sys
import types

import pytest

from perfsheet.errors import InputError
from perfsheet.excel import ribbon


@pytest.fixture()
def book(monkeypatch: pytest.MonkeyPatch):
    """A remote-engine workbook set as the mock caller (licence key for this test only)."""
    monkeypatch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")
    import xlwings as xw

    if "remote" not in xw.engines.engines_by_name:
        from xlwings.pro import _xlremote

        monkeypatch.setattr(xw.engines, "engines", list(xw.engines.engines))
        monkeypatch.setattr(xw.engines, "engines_by_name", dict(xw.engines.engines_by_name))
        xw.engines.add(xw.Engine(impl=_xlremote.engine))
        monkeypatch.setattr(xw, "__pro__", True)
    payload = {
        "client": "Microsoft Office Scripts",
        "version": xw.__version__,
        "book": {"name": "表.xlsx", "active_sheet_index": 0, "selection": "A1"},
        "names": [],
        "sheets": [{"name": "Sheet1", "values": [["项目名称"]], "pictures": [], "tables": []}],
    }
    wb = xw.Book(json=payload)
    wb.set_mock_caller()
    yield wb
    del xw.Book._mock_caller


def _alerts(wb) -> list[str]:
    return [a["args"][0] for a in wb.json()["actions"] if a["func"] == "alert"]


@pytest.fixture()
def fake_actions(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Stand-in for perfsheet.excel.actions (implemented in a later step)."""
    calls: list[tuple] = []
    module = types.ModuleType("perfsheet.excel.actions")

    def parse_indicators(book):
        calls.append(("parse_indicators", book.name))

    def batch_convert(book, folder):
        calls.append(("batch_convert", book.name, folder))

    def check_totals(book):
        raise InputError("表.xlsx", "没有找到绩效目标表")

    module.parse_indicators = parse_indicators
    module.batch_convert = batch_convert
    module.check_totals = check_totals
    monkeypatch.setitem(sys.modules, "perfsheet.excel.actions", module)
    import perfsheet.excel as package

    monkeypatch.setattr(package, "actions", module, raising=False)
    return calls


def test_run_dispatches_to_the_caller_book(book, fake_actions) -> None:
    ribbon.run("parse")
    folder = "D:\\预算\\2025"
    hex_units = folder.encode("utf-16-be").hex().upper()
    ribbon.run("convert:folder", folder_hex=hex_units)
    ribbon.run("convert:folder")  # dialog cancelled: nothing happens
    assert fake_actions == [("parse_indicators", "表.xlsx"), ("batch_convert", "表.xlsx", folder)]
    assert _alerts(book) == []


def test_user_errors_and_unknown_tags_become_message_boxes(book, fake_actions) -> None:
    ribbon.run("check")
    ribbon.run("nonsense")
    ribbon.run("summary")  # not provided by the (fake) actions module
    alerts = _alerts(book)
    assert alerts[0] == "校验合计：无法读取 表.xlsx：没有找到绩效目标表"
    assert alerts[1] == "未知的按钮：nonsense"
    assert alerts[2] == "“生成汇总”功能尚未安装，请升级 perfsheet。"
    titles = {a["args"][1] for a in book.json()["actions"] if a["func"] == "alert"}
    assert titles == {"绩效指标"}
