"""Nothing lost, nothing altered, nothing leaks (issue 8 §2–3).

- Every command leaves its inputs byte-identical (content, size, mtime) and adds nothing but
  its outputs next to them (no temporary files left behind).
- Outputs are atomic: an existing output is replaced only as a whole, never when the run fails;
  ``-o`` naming the input (directly, through a link or another spelling) is refused.
- Cell text starting with ``=`` ``+`` ``-`` ``@`` tab or CR stays text in every export: the
  worksheet XML of every output is read back and every ``<f>`` element must be one perfsheet
  writes itself (totals, chart links), never user text; the JSON keeps the text exactly.
- Output names never come from sheet, department or cell text.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as safe_et
import pytest
from typer.testing import CliRunner

from hostile import builders as B
from perfsheet.cli import app
from summary_helpers import write_user_template
from workbooks import STD_HEADER, TRAINING, P, U, table_rows, to_xls, write_xlsx

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "广州市协作办公室_项目支出绩效目标表.xlsx"

PAYLOADS = [
    '=HYPERLINK("http://example.invalid/x","点击领取")',
    "+1+2",
    "-3+4",
    "@SUM(1,2)",
    "\t=5+6",
    "\r=7+8",
    "=cmd|' /C calc'!A0",
]
MARKERS = ("HYPERLINK", "1+2", "3+4", "SUM(1,2)", "5+6", "7+8", "cmd")
# what perfsheet itself writes as formulas: totals of 项目汇总 and the chart's data links
OUR_FORMULAS = re.compile(
    r"SUBTOTAL\(10[139],[A-Z]{1,3}\d+:[A-Z]{1,3}\d+\)"
    r'|IFERROR\(SUBTOTAL\(101,[A-Z]{1,3}\d+:[A-Z]{1,3}\d+\),""\)'
    r'|IFERROR\(SUMPRODUCT\(([A-Z]{1,3}\d+:[A-Z]{1,3}\d+),[A-Z]{1,3}\d+:[A-Z]{1,3}\d+\)/SUM\(\1\),""\)'
    r"|\$?[A-Z]{1,3}\$?\d+"
)


def _state(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return hashlib.sha256(path.read_bytes()).hexdigest(), st.st_size, st.st_mtime_ns


def _hostile_rows() -> list[list[Any]]:
    ind = (
        f"1、1-产出指标；11-数量指标；{PAYLOADS[0]}；实施周期指标值:{PAYLOADS[1]}；"
        f"年度指标值:{PAYLOADS[3]}。" + TRAINING.replace("1、", "2、", 1)
    )
    rows = table_rows(
        [
            U(
                PAYLOADS[0],
                (30, 28, None, 2),
                [
                    P(PAYLOADS[1], (12, 10, None, 2), goal=PAYLOADS[2], indicators=ind),
                    P(PAYLOADS[6], (18, 18, None, None), goal=PAYLOADS[4]),
                ],
            ),
        ],
        grand=(30, 28, None, 2),
        title=PAYLOADS[0],
        department=f"部门名称：{PAYLOADS[6]}",
        header=[*STD_HEADER, "备注"],
    )
    rows[-1].append(PAYLOADS[5])  # an extra column
    rows[-2].append(PAYLOADS[3])
    return rows


@pytest.fixture(scope="module")
def hostile_xlsx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Cell text that spreadsheets would take for formulas — stored as TEXT (inline strings)
    in the input, on a sheet whose name is one too."""
    d = tmp_path_factory.mktemp("hostile_src")
    sheet = B.sheet_xml(B.rows_xml(_hostile_rows()), merges=["A1:H1"])
    return B.package(d / "注入测试.xlsx", {"=1+1": sheet})


@pytest.fixture(scope="module")
def hostile_xls(hostile_xlsx: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return to_xls(hostile_xlsx, tmp_path_factory.mktemp("hostile_xls"))


def _formulas_and_texts(path: Path) -> tuple[list[str], set[str]]:
    """Every ``<f>`` of every worksheet of ``path``, and every text the cells hold."""
    formulas: list[str] = []
    texts: set[str] = set()
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        assert not [n for n in names if n.startswith("/") or ".." in n.split("/")]
        shared: list[str] = []
        if "xl/sharedStrings.xml" in names:
            root = safe_et.fromstring(z.read("xl/sharedStrings.xml"), forbid_dtd=True)
            for si in root:
                shared.append("".join(t.text or "" for t in si.iter() if t.tag.endswith("}t")))
        texts.update(shared)
        for name in names:
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            root = safe_et.fromstring(z.read(name), forbid_dtd=True)
            for el in root.iter():
                tag = el.tag.rsplit("}", 1)[-1]
                if tag == "f":
                    formulas.append(el.text or "")
                elif tag == "is":
                    texts.add("".join(t.text or "" for t in el.iter() if t.tag.endswith("}t")))
    return formulas, texts


# the standard sheets carry names, indicators, the department; the source copy carries all
IN_STANDARD_SHEETS = [PAYLOADS[0], PAYLOADS[1], PAYLOADS[3], PAYLOADS[6]]


def _assert_no_user_formula(path: Path, expected: list[str] = PAYLOADS) -> None:
    formulas, texts = _formulas_and_texts(path)
    for f in formulas:
        assert OUR_FORMULAS.fullmatch(f), f"a formula perfsheet does not write: {f!r} in {path}"
        assert not any(m in f for m in MARKERS), f
    flat = {t.replace("\r\n", "\n").replace("\r", "\n") for t in texts}
    for payload in expected:
        wanted = payload.replace("\r", "\n")
        assert any(wanted.strip() in t for t in flat), f"text lost: {payload!r}"


# --------------------------------------------------------------------------------------------
# formula injection


@pytest.mark.parametrize("mode", ["--no-source", "source"])
def test_summary_of_xlsx_stores_user_text_as_text(
    hostile_xlsx: Path, tmp_path: Path, mode: str
) -> None:
    out = tmp_path / "汇总.xlsx"
    args = ["summary", str(hostile_xlsx), "-o", str(out)] + ([mode] if mode != "source" else [])
    result = runner.invoke(app, args)
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    _assert_no_user_formula(out, PAYLOADS if mode == "source" else IN_STANDARD_SHEETS)


def test_summary_of_xls_rebuilt_stores_user_text_as_text(hostile_xls: Path, tmp_path: Path) -> None:
    out = tmp_path / "汇总.xlsx"
    result = runner.invoke(app, ["summary", str(hostile_xls), "-o", str(out)])
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    _assert_no_user_formula(out)
    with zipfile.ZipFile(out) as z:  # the rebuilt copy of the input sheet is there
        workbook = z.read("xl/workbook.xml").decode("utf-8")
    assert 'name="=1+1"' in workbook


def test_template_title_placeholders_stay_text(hostile_xlsx: Path, tmp_path: Path) -> None:
    """A user template's merged title "{部门名称} 绩效指标汇总" filled with a department that
    starts with ``=`` (XlsxWriter's merge_range would write a formula by default)."""
    template = write_user_template(tmp_path / "模板.xlsx")
    out = tmp_path / "汇总.xlsx"
    args = ["summary", str(hostile_xlsx), "-o", str(out), "--template", str(template)]
    result = runner.invoke(app, [*args, "--no-source"])
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    formulas, texts = _formulas_and_texts(out)
    assert any(t.startswith(PAYLOADS[6]) and "绩效指标汇总" in t for t in texts)
    assert not [f for f in formulas if "cmd" in f]


def test_json_keeps_the_text_exactly(hostile_xlsx: Path) -> None:
    result = runner.invoke(app, ["parse", str(hostile_xlsx), "--json"])
    assert result.exit_code == 0
    (table,) = json.loads(result.stdout)["tables"]
    assert table["sheet"] == "=1+1" and table["title"] == PAYLOADS[0]
    assert table["department"] == PAYLOADS[6]
    unit = table["units"][0]
    assert unit["name"] == PAYLOADS[0]
    first, second = unit["projects"]
    assert (first["name"], first["goal"]) == (PAYLOADS[1], PAYLOADS[2])
    assert first["indicators"][0]["name"] == PAYLOADS[0]
    assert first["extra"]["备注"] == PAYLOADS[3]
    assert second["extra"]["备注"] == PAYLOADS[5]  # CR kept as written


# --------------------------------------------------------------------------------------------
# inputs never written, outputs atomic


def _commands(src: Path, out: Path) -> list[list[str]]:
    return [
        ["parse", str(src)],
        ["parse", str(src), "--json"],
        ["check", str(src)],
        ["check", str(src), "--json"],
        ["summary", str(src), "-o", str(out), "--no-source"],
        ["summary", str(src), "-o", str(out)],
        ["summary", str(src)],  # default output next to the input
    ]


@pytest.fixture()
def inputs(tmp_path: Path, hostile_xlsx: Path, hostile_xls: Path) -> list[Path]:
    d = tmp_path / "inputs"
    d.mkdir()
    empty = d / "空.xlsx"
    empty.write_bytes(b"")
    odd = write_xlsx(
        d / "异常.xlsx", table_rows(projects=[P("培训经费", ("=C5+D5+E5", "#REF!", None, 2))])
    )
    out = [empty, odd, B.billion_laughs(d / "实体炸弹.xlsx", "sheet")]
    for src in (EXAMPLE, hostile_xlsx, hostile_xls):
        copy = d / src.name
        copy.write_bytes(src.read_bytes())
        out.append(copy)
    return out


def test_every_command_leaves_inputs_untouched(inputs: list[Path], tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    for src in inputs:
        before = _state(src)
        listing = set(src.parent.iterdir())
        default_out = src.with_name(src.stem + "_绩效汇总.xlsx")
        for args in _commands(src, out_dir / "汇总.xlsx"):
            result = runner.invoke(app, args)
            assert result.exit_code in (0, 1, 2), (args, result.exception)
            if result.exit_code == 2:
                err = result.stderr.strip()
                assert err.startswith("错误：") and "\n" not in err, err
            assert _state(src) == before, f"{args} modified {src.name}"
        added = set(src.parent.iterdir()) - listing
        assert added <= {default_out}, f"left behind: {added}"
        default_out.unlink(missing_ok=True)
    assert [p.name for p in out_dir.iterdir()] in ([], ["汇总.xlsx"])


def test_output_naming_the_input_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "原表.xlsx"
    src.write_bytes(EXAMPLE.read_bytes())
    before = _state(src)
    link = tmp_path / "链接.xlsx"
    link.symlink_to(src)
    hard = tmp_path / "硬链接.xlsx"
    os.link(src, hard)
    other_spelling = tmp_path / "子目录" / ".." / "原表.xlsx"
    (tmp_path / "子目录").mkdir()
    for target in (src, link, hard, other_spelling):
        result = runner.invoke(app, ["summary", str(src), "-o", str(target)])
        assert result.exit_code == 2, (target, result.stdout)
        assert "不能与输入文件相同" in result.stderr and "\n" not in result.stderr.strip()
    assert _state(src) == before
    assert link.is_symlink() and hard.read_bytes() == src.read_bytes()


def test_existing_output_replaced_only_as_a_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "汇总.xlsx"
    out.write_bytes(b"an earlier output the user keeps")
    before = _state(out)

    def listing() -> set[str]:
        return {p.name for p in tmp_path.iterdir()}

    broken = tmp_path / "截断.xlsx"
    broken.write_bytes(EXAMPLE.read_bytes()[:2000])
    names = listing()
    assert runner.invoke(app, ["summary", str(broken), "-o", str(out)]).exit_code == 2
    assert _state(out) == before and listing() == names

    # the writer dies half way (a bug, a full disk, Ctrl-C), in each of the three ways of
    # writing: the old output stays whole and no temporary file is left in the folder
    from perfsheet.io import summary_writer
    from perfsheet.io.source_copy import assembly

    xls = to_xls(EXAMPLE, tmp_path / "xls")
    names = listing()
    cases = [
        (summary_writer.StandardSheets, "finish", ["--no-source"], EXAMPLE),
        (assembly, "_assemble", [], EXAMPLE),  # the source copy, after the standard sheets
        (summary_writer, "_write_grid_sheet", [], xls),  # .xls rebuilt from values
    ]
    for owner, attr, extra, src in cases:
        for exc in (OSError(28, "No space left on device"), KeyboardInterrupt()):

            def boom(*a: Any, exc: BaseException = exc, **k: Any) -> None:
                raise exc

            monkeypatch.setattr(owner, attr, boom)
            result = runner.invoke(app, ["summary", str(src), "-o", str(out), *extra])
            assert result.exit_code != 0, (attr, exc)
            assert _state(out) == before, (attr, exc)
            assert listing() == names, (attr, exc, listing() - names)
            monkeypatch.undo()
    monkeypatch.undo()

    result = runner.invoke(app, ["summary", str(EXAMPLE), "-o", str(out)])
    assert result.exit_code == 0 and listing() == names
    with zipfile.ZipFile(out) as z:
        assert z.testzip() is None and "xl/workbook.xml" in z.namelist()


def test_output_names_come_from_the_command_line_only(hostile_xlsx: Path, tmp_path: Path) -> None:
    """Sheet, department and cell text never reach a path: the default output sits next to
    the input, named after the input file."""
    d = tmp_path / "in"
    d.mkdir()
    src = d / "..某单位..xlsx"
    src.write_bytes(hostile_xlsx.read_bytes())
    result = runner.invoke(app, ["summary", str(src)])
    assert result.exit_code == 0, result.stdout
    assert sorted(p.name for p in d.iterdir()) == ["..某单位..xlsx", "..某单位._绩效汇总.xlsx"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


# --------------------------------------------------------------------------------------------
# perfsheet convert


def _convert(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "perfsheet", "convert", *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=600,
    )


def _tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


@pytest.mark.parametrize("with_source", [False, True])
def test_convert_hostile_tree(hostile_xlsx: Path, tmp_path: Path, with_source: bool) -> None:
    """Hostile file names and contents: the good files convert, each bad one fails with one
    Chinese line, every output lands inside OUTDIR, inputs are untouched, and no output sheet
    holds a formula made from user text."""
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    data = hostile_xlsx.read_bytes()
    for name in ("注入.xlsx", "CON.xlsx", "a\\..\\..\\b.xlsx", "sub/x\\..\\上级.xlsx", "-o.xlsx"):
        (src / name).write_bytes(data)
    B.billion_laughs(src / "实体炸弹.xlsx", "sheet")
    B.far_cells(src / "sub" / "远处单元格.xlsx")
    (src / "空.xlsx").write_bytes(b"")
    (src / "etc").symlink_to("/etc")
    before = _tree(src)
    out = tmp_path / "out"
    args = [src, "-o", out, "-r", "-j", "2", "--json", "--force"]
    proc = _convert(*args, *(["--with-source"] if with_source else []))
    assert proc.returncode == 1, proc.stderr[-2000:]
    doc = json.loads(proc.stdout)
    status = {Path(f["input"]).name: f for f in doc["files"]}
    for name in ("注入.xlsx", "CON.xlsx", "a\\..\\..\\b.xlsx", "x\\..\\上级.xlsx", "-o.xlsx"):
        assert status[name]["status"] == "ok", status[name]
    for name, reason in (("实体炸弹.xlsx", "实体"), ("远处单元格.xlsx", "使用范围过大"),
                         ("空.xlsx", "0 字节")):  # fmt: skip
        f = status[name]
        assert f["status"] == "failed" and reason in f["error"] and "\n" not in f["error"]
        assert "Traceback" not in f["error"]
    assert _tree(src) == before, "an input was modified or a file was added to the inputs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]
    outputs = [Path(f["output"]) for f in doc["files"] if f["output"]]
    for p in [*outputs, Path(doc["consolidated"])]:
        assert p.resolve().is_relative_to(out.resolve()), p
        _assert_no_user_formula(p, IN_STANDARD_SHEETS)


def test_convert_refuses_to_write_over_its_input(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    wb = src / "报表.xlsx"
    wb.write_bytes(EXAMPLE.read_bytes())
    before = _tree(src)
    for args in ([src, "-o", src], [wb, "-o", wb]):
        proc = _convert(*args)
        assert proc.returncode == 2, (args, proc.stdout[-500:])
        err = proc.stderr.strip()
        assert err.startswith("错误：") and "\n" not in err, err
    assert _tree(src) == before


# --------------------------------------------------------------------------------------------
# the Excel ribbon actions (xlwings' remote engine, the engine of xlwings Lite / Server)

# formulas the actions write themselves: totals, weighted averages, internal links whose text
# (user text) sits inside a string literal with every quote doubled
LIVE_FORMULAS = re.compile(
    r"=(?:" + OUR_FORMULAS.pattern + r')|=HYPERLINK\("#(?:[^"]|"")*","(?:[^"]|"")*"\)'
)


def test_excel_actions_keep_user_text_as_text_and_inputs_intact(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from live_payload import Workbook, office_values, payload, register_remote_engine, replay
    from live_payload import sheet_json as live_sheet
    from perfsheet.excel import ribbon

    xw = register_remote_engine(monkeypatch)
    for var in ("HOME", "USERPROFILE"):  # no perfsheet.rules.toml of the machine's user
        monkeypatch.setenv(var, str(tmp_path))
    values = office_values(_hostile_rows())
    original = [list(line) for line in values]
    state: dict[str, Any] | Workbook = payload([live_sheet("=1+1", values)])
    seen_values = 0
    for tag in ("parse", "check", "summary", "parse", "check", "summary"):
        data = json.loads(json.dumps(state.payload if isinstance(state, Workbook) else state))
        data["book"]["active_sheet_index"] = 0  # the user goes back to the table sheet
        book = xw.Book(json=data)
        done = ribbon.dispatch(book, tag)
        assert done is not None, (tag, book.json()["actions"])  # None: refused
        queued = book.json()["actions"]
        for a in queued:
            if a["func"] != "setValues":
                continue
            for line in a["values"]:
                for v in line:
                    if isinstance(v, str) and re.match(r"\s*[=+\-@]", v):
                        assert LIVE_FORMULAS.fullmatch(v), (tag, v)
                    seen_values += 1
        state = replay(state, queued)
        final = state.sheet("=1+1")["values"]
        for r, line in enumerate(original):
            for c, v in enumerate(line):
                assert final[r][c] == v, (tag, r + 1, c + 1)
    assert seen_values > 100
    # the user text reached the generated sheets as text
    texts = {str(v) for s in state.payload["sheets"][1:] for line in s["values"] for v in line}
    for payload_text in IN_STANDARD_SHEETS:
        assert payload_text.strip() in texts or payload_text in texts, payload_text


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_outputs_get_the_users_default_file_mode(tmp_path: Path) -> None:
    """The temporary file is private while it is written; the finished output is not: it
    gets 0666 minus the umask, like any file the user creates (and like batch outputs)."""
    old = os.umask(0o027)
    try:
        src = tmp_path / "输入.xlsx"
        src.write_bytes(EXAMPLE.read_bytes())
        out = tmp_path / "汇总.xlsx"
        r = runner.invoke(app, ["summary", str(src), "--no-source", "-o", str(out)])
        assert r.exit_code == 0, r.output
        assert out.stat().st_mode & 0o777 == 0o640
        os.umask(0o022)
        r = runner.invoke(app, ["summary", str(src), "-o", str(out)])
        assert r.exit_code == 0, r.output
        assert out.stat().st_mode & 0o777 == 0o644
    finally:
        os.umask(old)
