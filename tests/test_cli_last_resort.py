"""The console entry point never shows a traceback: a system error or a bug that reached it is
one Chinese line (PERFSHEET_DEBUG=1 shows the traceback for maintainers)."""

from __future__ import annotations

import errno

import pytest

from perfsheet import cli, commands


def _run(monkeypatch: pytest.MonkeyPatch, exc: BaseException, capsys: pytest.CaptureFixture[str]):
    def boom(*_a: object, **_k: object) -> int:
        raise exc

    monkeypatch.setattr(commands, "run_parse", boom)
    monkeypatch.setattr("sys.argv", ["perfsheet", "parse", "任意.xlsx"])
    with pytest.raises(SystemExit) as e:
        cli.main()
    return e.value.code, capsys.readouterr().err


def test_system_error_is_one_chinese_line(monkeypatch, capsys) -> None:
    monkeypatch.delenv("PERFSHEET_DEBUG", raising=False)
    err = OSError(errno.EIO, "I/O error", "/mnt/u盘/表.xlsx")
    code, out = _run(monkeypatch, err, capsys)
    assert code == 2 and out.count("\n") == 1 and "Traceback" not in out
    assert out.startswith("错误：/mnt/u盘/表.xlsx：")


def test_a_bug_is_one_line_asking_for_a_report(monkeypatch, capsys) -> None:
    monkeypatch.delenv("PERFSHEET_DEBUG", raising=False)
    code, out = _run(monkeypatch, RuntimeError("意外"), capsys)
    assert code == 1 and out.count("\n") == 1 and "Traceback" not in out
    assert "内部错误（RuntimeError：意外）" in out and "PERFSHEET_DEBUG=1" in out


def test_debug_shows_the_traceback(monkeypatch, capsys) -> None:
    monkeypatch.setenv("PERFSHEET_DEBUG", "1")
    monkeypatch.setattr(commands, "run_parse", lambda *a, **k: 1 / 0)
    monkeypatch.setattr("sys.argv", ["perfsheet", "parse", "任意.xlsx"])
    with pytest.raises(ZeroDivisionError):
        cli.main()
