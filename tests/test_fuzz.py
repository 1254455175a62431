"""Fuzzing (issue 8 §4): the parsers and the table detector on generated input, and every reader
on a corpus of malformed files.

Default (CI) run: Hypothesis' default of 100 examples per test and a corpus of 120 files.
``HYPOTHESIS_PROFILE=fuzz`` (tests/conftest.py): 10,000 examples per test and 3,000 files.
``PERFSHEET_FUZZ_REPORT=path.json`` writes the counts (docs/reliability.md).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostile import builders as B
from hostile.corpus import Base, build_corpus
from hostile.run_corpus import run_files
from perfsheet import limits
from perfsheet.core import clean_text, parse_indicators, parse_target
from perfsheet.core.amounts import parse_amount
from perfsheet.core.grid import MergedRange, SheetGrid, WorkbookGrid
from perfsheet.core.indicators import INTERNAL_ERROR
from perfsheet.core.pipeline import analyze
from perfsheet.errors import InputError
from workbooks import STD_HEADER, TRAINING, P, U, soffice, table_rows, to_xls, write_xlsx

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "广州市协作办公室_项目支出绩效目标表.xlsx"
FUZZ = settings().max_examples >= 10_000
CORPUS_FILES = 3_000 if FUZZ else 120
SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def stats() -> Iterator[Counter[str]]:
    """Examples actually run, per test; written to $PERFSHEET_FUZZ_REPORT at the end."""
    counts: Counter[str] = Counter()
    yield counts
    report = os.environ.get("PERFSHEET_FUZZ_REPORT")
    if report:
        path = Path(report)
        old = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        old.update({"max_examples": settings().max_examples, "examples": dict(counts)})
        path.write_text(json.dumps(old, ensure_ascii=False, indent=2), encoding="utf-8")


# --------------------------------------------------------------------------------------------
# the indicator and target parsers

PIECES = [
    "1、", "2、", "3、", "10、", "1-产出指标；", "11-数量指标；", "12-质量指标；", "2-效益指标；",
    "22-社会效益；", "21-经济效益指标；", "3-满意度指标；", "14-成本指标；", "产出指标；",
    "数量指标；", "培训人数；", "实施周期指标值:", "年度指标值：", "指标值:", "≥", "≤", "＞",
    "不低于", "不超过", "以上", "以内", "达到", "1", "0", "390", "1.4", "万人", "亿元", "元/人",
    "％", "%", "个工作日", "１２", "合规", "提升", "有所提升", "待单位补充...", "每月5日前",
    "。", "；", ";", "：", ":", "，", "<p>", "</p>", "<br/>", "&nbsp;", "&amp;", "&lt;", "\n",
    "\r\n", " ", "\u3000", "\xa0", "\t", "效益指", "标", "（", "）", "(", ")",
]  # fmt: skip

indicator_text = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(PIECES), max_size=60).map("".join),
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=6)), max_size=40).map("".join),
)


def _no_ws(text: str) -> str:
    return re.sub(r"\s", "", text)


@SETTINGS
@given(indicator_text)
def test_parse_indicators_is_total_and_loses_no_text(stats: Counter[str], text: str) -> None:
    stats["parse_indicators"] += 1
    items = parse_indicators(text)
    clean = clean_text(text)
    for item in items:
        assert INTERNAL_ERROR not in item.warnings
        assert item.raw in clean
        assert item.seq is None or item.seq >= 0
        for target in (item.period_target, item.annual_target):
            if target is not None and target.value is not None:
                assert math.isfinite(target.value)
    # every visible character is in an item's raw text, or quoted in a warning
    kept = _no_ws("".join(item.raw for item in items))
    visible = _no_ws(clean)
    assert visible.endswith(kept)
    lost = visible[: len(visible) - len(kept)]
    assert not lost or any(lost in _no_ws(w) for item in items for w in item.warnings)


# Cells written one item (or one field) per line: line-shaped pieces joined by line breaks
LINE_PIECES = [
    *PIECES, "一级指标：", "二级指标:", "三级指标：", "指标名称：", "培训", "人数", "知晓率",
    "产出指标；数量指标；", "效益指标，社会效益，", "年度指标值：≥90%", "名称：≥5", "1、名称：",
    "产出指标-数量指标-", "效益指标/社会效益/", "1.", "（2）", "③", "/", "-",
]  # fmt: skip
line_text = st.lists(
    st.lists(st.sampled_from(LINE_PIECES), max_size=8).map("".join), max_size=10
).flatmap(
    lambda lines: st.sampled_from(["\n", "\r\n", "\n\n", " \r\n"]).map(lambda j: j.join(lines))
)

_BREAK_RUN = re.compile(r"[ \t]*\n[ \t\n]*")


@SETTINGS
@given(st.one_of(indicator_text, line_text))
def test_parse_indicators_never_joins_two_lines(stats: Counter[str], text: str) -> None:
    """Issue 12 §3: no field glues the end of one line to the start of the next. A field is
    a piece of the cleaned cell in which each line break (with its blanks) is one space."""
    stats["parse_indicators_lines"] += 1
    clean = clean_text(text)
    joined = _BREAK_RUN.sub(" ", clean)
    items = parse_indicators(text)
    for item in items:
        assert INTERNAL_ERROR not in item.warnings
        assert item.raw in clean
        for field in (item.name, item.period_value, item.annual_value):
            assert field is None or ("\n" not in field and field in joined), (field, clean)
    # splitting at line breaks loses nothing either (as in the test above)
    kept = _no_ws("".join(item.raw for item in items))
    visible = _no_ws(clean)
    lost = visible[: len(visible) - len(kept)]
    assert visible.endswith(kept)
    assert not lost or any(lost in _no_ws(w) for item in items for w in item.warnings)


target_text = st.one_of(
    st.none(),
    st.text(max_size=60),
    st.lists(st.sampled_from(PIECES), max_size=8).map("".join),
    st.builds(
        lambda op, num, unit: f"{op}{num}{unit}",
        st.sampled_from(["", "≥", "≤", ">", "<", "=", "不低于", "不超过", "约", "达到"]),
        st.one_of(
            st.integers(-(10**30), 10**30).map(str),
            st.floats(allow_nan=False, allow_infinity=False).map(str),
            st.text("0123456789.,", max_size=400),
        ),
        st.sampled_from(["", "人", "万人", "亿元", "%", "个", "元/人", "万人次", "以上", "左右"]),
    ),
)


@SETTINGS
@given(target_text)
def test_parse_target_is_total_and_consistent(stats: Counter[str], text: str | None) -> None:
    stats["parse_target"] += 1
    t = parse_target(text)
    assert t.kind in ("quantitative", "qualitative", "placeholder", "deadline", "empty")
    if t.kind == "quantitative":
        assert t.value is not None and math.isfinite(t.value) and t.op is not None
        assert t.base_value is None or math.isfinite(t.base_value)
    if t.kind == "empty":  # nothing but spaces and punctuation
        assert not re.search(r"[^\W_]", clean_text(text or ""))
    json.dumps(t.model_dump(), allow_nan=False)


cell_value = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.integers(-(10**40), 10**40),
    st.floats(),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.times(),
    st.timedeltas(),
    st.text("0123456789,.-—()¥ ０１２", max_size=40),
)


@SETTINGS
@given(cell_value)
def test_parse_amount_is_total_and_bounded(stats: Counter[str], value: Any) -> None:
    stats["parse_amount"] += 1
    a = parse_amount(value)
    assert (a.value is None) == (a.status in ("blank", "invalid"))
    if a.value is not None:
        assert abs(a.value) <= limits.MAX_AMOUNT_ABS and a.as_float() is not None
        assert math.isfinite(a.as_float())
    if a.status == "invalid":
        assert a.note and "\n" not in a.note and len(a.note) < 200


# --------------------------------------------------------------------------------------------
# the table detector on generated grids

HEADER_WORDS = [
    *STD_HEADER, "项目名称", "项目(单位)名称", "资金使用单位", "合计", "总计（万元）", "财政拨款",
    "资金来源", "年度绩效目标", "项目编码", "主管部门", "备注", "单位：万元", "金额单位：元",
]  # fmt: skip
WORDS = [
    "2025年项目支出绩效目标表", "部门名称：示例局", "合计", "总计", "小计", "本页合计", "注：以上",
    "第1页", "-", "—", "约12万", "1,200.50", "", " ", "培训经费", "示例中心", "道路维修资金",
    "#REF!", "=SUM(B1:B3)", "1、", TRAINING,
]  # fmt: skip
grid_cell = st.one_of(
    st.none(),
    st.none(),
    st.sampled_from(HEADER_WORDS + WORDS),
    indicator_text,
    st.integers(-(10**20), 10**20),
    st.floats(),
    st.booleans(),
    st.dates(),
    st.text(max_size=12),
)
SPECIAL_CODES = ["#REF!", "#DIV/0!", "#N/A", "=SUM(B5:B9)", "=（共享公式）"]


@st.composite
def workbook_grids(draw: st.DrawFn) -> tuple[WorkbookGrid, int]:
    width = draw(st.integers(0, 10))
    rows: list[list[Any]] = [
        draw(st.lists(grid_cell, max_size=width)) for _ in range(draw(st.integers(0, 6)))
    ]
    if draw(st.booleans()):  # a real header, columns in any order, somewhere
        header = draw(st.permutations(STD_HEADER))
        rows.append(header[: draw(st.integers(2, len(header)))])
    if draw(st.booleans()):
        rows.append(["合计", *draw(st.lists(grid_cell, max_size=6))])
    for _ in range(draw(st.integers(0, 14))):
        kind = draw(st.sampled_from(["row", "project", "fragment", "blank"]))
        if kind == "project":
            rows.append(
                [draw(st.sampled_from(WORDS)), *draw(st.lists(grid_cell, min_size=4, max_size=4)),
                 draw(grid_cell), draw(indicator_text)]
            )  # fmt: skip
        elif kind == "fragment":
            rows.append([None, None, None, None, None, draw(grid_cell), draw(indicator_text)])
        elif kind == "blank":
            rows.append([])
        else:
            rows.append(draw(st.lists(grid_cell, max_size=width)))
    n_rows = max(len(rows), 1)
    n_cols = max((len(r) for r in rows), default=1) or 1
    coord = st.integers(0, n_rows + 3)
    col = st.integers(0, n_cols + 3)
    merged = draw(
        st.lists(
            st.one_of(
                st.builds(MergedRange, coord, col, coord, col),
                st.just(MergedRange(1, 1, limits.MAX_ROWS, limits.MAX_COLUMNS)),
            ),
            max_size=6,
        )
    )
    special = draw(
        st.dictionaries(
            st.tuples(st.integers(1, n_rows + 2), st.integers(1, n_cols + 2)),
            st.sampled_from(SPECIAL_CODES),
            max_size=5,
        )
    )
    sheet = SheetGrid(name=draw(st.sampled_from(["表1", "", "../x", "a" * 40])), rows=rows,
                      merged=merged, special=special)  # fmt: skip
    return WorkbookGrid(path="fuzz.xlsx", sheets=[sheet]), n_rows


_CELL = re.compile(r"[A-Z]{1,3}[1-9][0-9]*")


@SETTINGS
@given(workbook_grids())
def test_table_detector_on_hostile_grids(
    stats: Counter[str], data: tuple[WorkbookGrid, int]
) -> None:
    stats["build_tables"] += 1
    wb, n_rows = data
    try:
        result = analyze(wb)
    except InputError as err:
        assert "\n" not in str(err)
        return
    json.dumps(json.loads(result.model_dump_json()), allow_nan=False)
    for table in result.tables:
        assert all(1 <= r <= n_rows for r in table.header_rows)
        seen: set[int] = set()
        for unit in table.units:
            for p in unit.projects:
                assert p.row in p.rows and all(1 <= r <= n_rows for r in p.rows)
                assert not seen & set(p.rows), "a row merged into two projects"
                seen |= set(p.rows)
        for f in table.findings:
            assert f.message and "\n" not in f.message
            assert len(f.message) <= limits.MAX_MESSAGE_CHARS + 2
            assert f.cell is None or _CELL.fullmatch(f.cell), f.cell
            assert f.row is None or 1 <= f.row <= max(
                n_rows, *(k[0] for k in wb.sheets[0].special), 1
            )


# --------------------------------------------------------------------------------------------
# a corpus of malformed files through the real readers


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory) -> list[Base]:
    d = tmp_path_factory.mktemp("bases")
    units = [
        U("示例县科技局", (30, 28, None, 2), [P("科普宣传活动", (12, 10, None, 2)),
                                          P("创新券补助", (18, 18, None, None))]),
        U("示例县科技服务中心", (8, 8, None, None), [P("平台运维经费", (8, 8, None, None))]),
    ]  # fmt: skip
    std = write_xlsx(d / "std.xlsx", table_rows(units, grand=(38, 36, None, 2)), merges=["A1:G1"])
    odd = write_xlsx(
        d / "odd.xlsx",
        table_rows(projects=[P("培训经费", ("=C5+D5+E5", "#REF!", None, dt.date(2025, 1, 1)))]),
    )
    raw = B.simple(d / "raw.xlsx", table_rows(projects=[P("图书购置", (8, 8, None, None))]))
    out = [
        Base("std", std.read_bytes()),
        Base("example", EXAMPLE.read_bytes()),
        Base("odd", odd.read_bytes()),
        Base("raw", raw.read_bytes()),
    ]
    if soffice() is not None or os.environ.get("CI", "").lower() == "true":
        out.append(Base("stdxls", to_xls(std, d / "xls").read_bytes()))
        out.append(Base("examplexls", to_xls(EXAMPLE, d / "xls").read_bytes()))
    return out


def test_malformed_file_corpus(bases: list[Base], tmp_path: Path) -> None:
    files = build_corpus(bases, tmp_path / "corpus", CORPUS_FILES)
    results = run_files(files, ROOT / "src", tmp_path)
    assert len(results) == len(files)
    by_status = Counter(r["status"] for r in results)
    bad = [r for r in results if r["status"] in ("crash", "died")]
    assert not bad, "\n\n".join(f"{r['file']}: {r['detail']}" for r in bad[:5])
    assert not [r["file"] for r in results if r["modified"]], "an input was modified"
    assert by_status["rejected"] > 0 and by_status["ok"] > 0  # both paths exercised

    # the same files through ``perfsheet convert`` (worker processes, consolidated workbook):
    # the same ones convert, the others fail with one Chinese line, inputs stay untouched
    corpus = files[0].parent
    before = {f.name: f.read_bytes() for f in files}
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run(
        [sys.executable, "-m", "perfsheet", "convert", str(corpus), "-o", str(tmp_path / "out"),
         "-j", "2", "--json"],
        env=env, capture_output=True, text=True, encoding="utf-8", timeout=3600,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    converted = {Path(f["input"]).name: f for f in json.loads(proc.stdout)["files"]}
    assert set(converted) == {f.name for f in files}
    for r in results:
        c = converted[Path(r["file"]).name]
        assert c["status"] == ("ok" if r["status"] == "ok" else "failed"), (r, c)
        if c["status"] == "failed":
            assert c["error"] and "\n" not in c["error"] and "Traceback" not in c["error"]
    assert {f.name: f.read_bytes() for f in files} == before
    report = os.environ.get("PERFSHEET_FUZZ_REPORT")
    if report:
        path = Path(report)
        old = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        seconds = [r["seconds"] for r in results if r["seconds"] is not None]
        old["corpus"] = {
            "files": len(files),
            "bases": [b.name for b in bases],
            "status": dict(by_status),
            "mutations": dict(Counter(Path(r["file"]).stem.split("_")[-1] for r in results)),
            "modified": sum(r["modified"] for r in results),
            "max_seconds": max(seconds),
            "total_seconds": sum(seconds),
        }
        path.write_text(json.dumps(old, ensure_ascii=False, indent=2), encoding="utf-8")
