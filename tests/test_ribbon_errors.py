"""Every error of a ribbon action or a Lite script reaches the user as one Chinese message box
(issue 13): the classic add-in and xlwings Lite alike, through ``ribbon.dispatch``.
"""

from __future__ import annotations

from typing import Any

import pytest

from live_payload import alerts, book_of, seed_payload
from perfsheet.excel import actions, ribbon

pytestmark = pytest.mark.usefixtures("live_engine")


def _defect(*_args: Any, **_kwargs: Any) -> None:
    raise RuntimeError("boom")


def test_a_defect_in_lite_is_one_message_and_nothing_is_written(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The helper columns' values are queued when the defect strikes: they are dropped, so
    the workbook stays as it was; the traceback goes to stderr (Lite's output pane)."""
    monkeypatch.setattr(actions, "set_column_widths", _defect)
    book = book_of(seed_payload())
    assert ribbon.dispatch(book, "parse") is None
    queued = book.json()["actions"]
    assert [a["func"] for a in queued] == ["alert"]
    assert alerts(queued) == [
        "解析指标：出现意外错误，操作已停止，工作簿未做任何修改。错误：RuntimeError: boom。"
        + ribbon.MSG_REPORT
    ]
    assert "Traceback" in capsys.readouterr().err


class ClassicBook:
    """What the dispatcher needs of a classic xlwings book: a name and an app (no queue)."""

    name = "表.xlsx"

    def __init__(self) -> None:
        self.alerts: list[tuple[str, str]] = []
        self.app = self

    def alert(self, message: str, title: str = "") -> None:
        self.alerts.append((message, title))


def test_a_defect_in_the_classic_add_in_is_one_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(actions, "check_totals", _defect)
    book = ClassicBook()
    assert ribbon.dispatch(book, "check") is None
    ((message, title),) = book.alerts
    assert title == "绩效指标"
    assert message.startswith("校验合计：出现意外错误，操作已停止，工作簿可能已被部分修改")
    assert "RuntimeError: boom" in message and "\n" not in message


def test_out_of_memory_is_said_in_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    def exhausted(book: Any) -> None:
        raise MemoryError

    monkeypatch.setattr(actions, "generate_summary", exhausted)
    book = ClassicBook()
    ribbon.dispatch(book, "summary")
    assert "错误：内存不足。" in book.alerts[0][0]


def test_a_missing_dependency_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """perfsheet installed without a package it needs (a Lite requirements.txt cut short)."""
    book = ClassicBook()
    real_import = __import__

    def fake_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "perfsheet.excel" and len(args) > 2 and "actions" in (args[2] or ()):
            raise ModuleNotFoundError("No module named 'pydantic'", name="pydantic")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr("builtins.__import__", fake_import)
    ribbon.dispatch(book, "parse")
    assert book.alerts[0][0] == (
        "“解析指标”无法运行：缺少 Python 包 pydantic。请按安装说明重新安装 perfsheet。"
    )


def test_run_without_a_calling_workbook_is_a_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import xlwings as xw

    def no_caller() -> None:
        raise xw.XlwingsError("No workbook found")

    monkeypatch.setattr(xw.Book, "caller", staticmethod(no_caller))
    assert ribbon.run("parse") is None
    assert "解析指标：找不到要处理的工作簿" in capsys.readouterr().out


def test_a_garbled_folder_is_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    book = ClassicBook()
    import xlwings as xw

    monkeypatch.setattr(xw.Book, "caller", staticmethod(lambda: book))
    assert ribbon.run("convert:folder", folder_hex="00D8ZZ") is None
    assert book.alerts == [("批量转换：无法识别所选文件夹的路径，请重新选择。", "绩效指标")]
