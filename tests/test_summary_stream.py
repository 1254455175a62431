"""The streaming summary (``--no-source``: project by project, perfsheet.core.pipeline
``analyze_tables`` + summary_writer ``write_standard_stream``) writes exactly the workbook of
the whole-result path (``write_standard_only`` on ``analyze()``'s result): every cell value of
the four sheets, read back with python-calamine."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

import pytest
from python_calamine import CalamineWorkbook

from perfsheet.core import pipeline
from perfsheet.core.pipeline import analyze, analyze_tables
from perfsheet.core.rules import RULE_NAMES
from perfsheet.core.sheets import SHEET_FINDINGS, SHEET_PROJECTS
from perfsheet.io.readers import read_workbook
from perfsheet.summary import read_and_analyze, summarize
from workbooks import LIBRARY, REPAIR, TRAINING, P, U, indicators_text, table_rows, write_xlsx

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "广州市协作办公室_项目支出绩效目标表.xlsx"
WHEN = _dt.datetime(2025, 3, 1, 9, 30)

# 2021 scheme (成本指标 as level 1) and old-scheme categories (14 成本 under 产出, 24 可持续影响)
NEW_SCHEME = indicators_text(
    [
        ("1-产出指标", "11-数量指标", "完成项目数", "≥3个", "≥3个"),
        ("2-效益指标", "22-社会效益", "服务覆盖人数", "≥2000人", "≥2000人"),
        ("3-满意度指标", "31-服务对象满意度", "群众满意度", "≥90%", "≥90%"),
        ("4-成本指标", "41-经济成本指标", "项目总成本", "≤120万元", "≤120万元"),
    ]
)
LEGACY = indicators_text(
    [
        ("1-产出指标", "14-成本指标", "单位培训成本", "≤800元/人", "≤800元/人"),
        ("2-效益指标", "24-可持续影响指标", "设备使用年限", "≥5年", "≥5年"),
        ("3-满意度指标", "31-服务对象满意度", "读者满意度", "≥90%", "≥90%"),
    ]
)
# numbering gaps, a placeholder, a missing value: indicator-format findings
MESSY = (
    "1、1-产出指标；11-数量指标；采购设备台数；实施周期指标值:≥10台；年度指标值:≥10台。"
    "3、2-效益指标；22-社会效益；服务水平；实施周期指标值:有所提升；年度指标值:待单位补充。"
    "4、3-满意度指标；31-服务对象满意度；满意度；实施周期指标值:；年度指标值:。"
)


def _cells(path: Path) -> dict[str, list[list[Any]]]:
    wb = CalamineWorkbook.from_path(str(path))
    return {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}


def _both(src: Path, tmp: Path, rules: Path | None = None) -> tuple[dict, dict]:
    """(whole-result workbook, streaming workbook) of ``src``, as cell values."""
    whole, stream = tmp / "whole.xlsx", tmp / "stream.xlsx"
    from perfsheet.summary import audit_hooks

    audit_rules, _, _ = audit_hooks(rules)
    analyzed = read_and_analyze(src, audit_rules=audit_rules)
    summarize(src, whole, with_source=False, rules=rules, generated_at=WHEN, analyzed=analyzed)
    summarize(src, stream, with_source=False, rules=rules, generated_at=WHEN)
    return _cells(whole), _cells(stream)


def _assert_same(a: dict[str, list[list[Any]]], b: dict[str, list[list[Any]]]) -> None:
    assert list(a) == list(b)
    for sheet in a:
        assert len(a[sheet]) == len(b[sheet]), sheet
        for i, (x, y) in enumerate(zip(a[sheet], b[sheet], strict=True)):
            assert x == y, f"{sheet} row {i + 1}: {x} != {y}"


@pytest.fixture(params=[None, 1, 3], ids=["batch-default", "batch-1", "batch-3"])
def batch(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """Projects per batch of TableAnalysis.batches (small batches: every boundary crossed)."""
    if request.param is not None:
        monkeypatch.setattr(pipeline, "BATCH", request.param)
    return pipeline.BATCH


def _column(cells: dict, sheet: str, header: str) -> list[Any]:
    rows = cells[sheet]
    col = rows[0].index(header)
    return [r[col] for r in rows[1:]]


def _rules(cells: dict) -> set[str]:
    """The rule ids of the 校验结果 rows (the sheet shows their Chinese names)."""
    ids = {name: rule for rule, name in RULE_NAMES.items()}
    return {ids[name] for name in _column(cells, SHEET_FINDINGS, "规则")}


def _fragments_and_units(path: Path) -> Path:
    """Units with wrong subtotals (findings on unit rows, one unit named like a later project),
    page-break fragments (merged and orphan), a 小计 row, a second 合计, an unnamed project,
    a project without indicators, indicator-format findings."""
    rows = table_rows(
        units=[
            U(
                "示例市图书馆",
                (30, 28, 0, 0),  # row-total and unit-subtotal (projects: 28) on this row
                [
                    P("图书采购经费", (20, 20, 0, 0), indicators=LIBRARY),
                    # a formula without a stored result: cell-error (a warning on the row of
                    # indicator warnings: structural ones come first among equal rows)
                    P("阅读推广活动经费", (8, 8, 0, 0), goal="=1/0", indicators=MESSY),
                ],
            ),
            U(
                "示例市公路事务中心",
                (50, 40, 0, 5),  # row total wrong on the unit row
                [P("道路维修工程", (50, 40, 0, 10), indicators=REPAIR)],
            ),
        ],
        grand=(90, 80, 0, 10),
    )
    # a fragment row (tail of 道路维修工程's indicators) and an orphan between complete cells
    head, tail = REPAIR[:40], REPAIR[40:]
    road = next(i for i, r in enumerate(rows) if r[0] == "道路维修工程")
    rows[road][6] = head
    rows.insert(road + 1, [None, None, None, None, None, None, tail])
    rows += [
        ["示例市图书馆", 5, 5, 0, 0, "图书馆同名项目。", TRAINING],  # named like the unit
        [None, 3, 3, 0, 0, "无名项目。", MESSY],  # unnamed: a warning tied with its own
        ["无指标项目", 2, 2, 0, 0, "只有目标。", None],
        [None, None, None, None, None, "以上资金按季度拨付。", None],  # orphan
        ["小计", 10, 10, 0, 0, None, None],
        ["合计", 1, 1, 0, 0, None, None],  # a second grand total
        ["培训项目", 4, 4, 0, 0, "开展培训。", TRAINING],
    ]
    return write_xlsx(path, rows)


def test_seed_example(tmp_path: Path, batch: int) -> None:
    whole, stream = _both(SEED, tmp_path)
    _assert_same(whole, stream)
    assert len(stream[SHEET_FINDINGS]) > 50  # the seed has many findings: a real comparison


def test_fragments_units_and_odd_rows(tmp_path: Path, batch: int) -> None:
    src = _fragments_and_units(tmp_path / "in.xlsx")
    whole, stream = _both(src, tmp_path)
    _assert_same(whole, stream)
    rules = _rules(stream)
    for rule in (
        "fragment-merged",
        "fragment-orphan",
        "unit-subtotal",
        "row-total",
        "project-unnamed",
        "row-skipped",
        "grand-total-duplicate",
        "indicator-numbering",
        "indicator-vague",
        "cell-error",
    ):
        assert rule in rules, rule
    # the unit-row findings count for the project named like the unit (by name)
    names = _column(stream, SHEET_PROJECTS, "项目名称")
    errors = _column(stream, SHEET_PROJECTS, "错误数")
    assert errors[names.index("示例市图书馆")] >= 1


def test_mixed_scheme_keeps_legacy_findings(tmp_path: Path, batch: int) -> None:
    # the legacy project comes first: its legacy findings are computed before the table is
    # known to be new-scheme
    src = write_xlsx(
        tmp_path / "in.xlsx",
        table_rows(
            projects=[
                P("旧体系项目", (10, 10, 0, 0), indicators=LEGACY),
                P("培训项目", (5, 5, 0, 0), indicators=TRAINING),
                P("新体系项目", (8, 8, 0, 0), indicators=NEW_SCHEME),
            ]
        ),
    )
    whole, stream = _both(src, tmp_path)
    _assert_same(whole, stream)
    assert "indicator-legacy" in _rules(stream)


def test_legacy_only_table_drops_speculative_findings(tmp_path: Path, batch: int) -> None:
    src = write_xlsx(
        tmp_path / "in.xlsx",
        table_rows(
            projects=[
                P("旧体系项目", (10, 10, 0, 0), indicators=LEGACY),
                P("培训项目", (5, 5, 0, 0), indicators=TRAINING),
            ]
        ),
    )
    analyses = analyze_tables(read_workbook(src))
    (analysis,) = analyses
    audited = [f for done in analysis.projects() for f in done.audit_findings]
    # computed speculatively, then dropped: the table is not new-scheme
    assert any(f.rule == "indicator-legacy" for f in audited)
    assert not any(analysis.keep_audit(f) for f in audited if f.rule == "indicator-legacy")
    whole, stream = _both(src, tmp_path)
    _assert_same(whole, stream)
    assert "indicator-legacy" not in _rules(stream)


def test_legacy_as_warning_decides_the_scheme_first(tmp_path: Path, batch: int) -> None:
    """A legacy finding that counts (警告) must be final when the project's row is written."""
    rules = tmp_path / "rules.toml"
    rules.write_text('[indicator-legacy]\nseverity = "warning"\n', encoding="utf-8")
    projects = [
        P("旧体系项目", (10, 10, 0, 0), indicators=LEGACY),
        P("新体系项目", (8, 8, 0, 0), indicators=NEW_SCHEME),
    ]
    for n, rows in enumerate([projects, projects[:1]]):
        src = write_xlsx(tmp_path / f"in{n}.xlsx", table_rows(projects=rows))
        whole, stream = _both(src, tmp_path, rules)
        _assert_same(whole, stream)
        legacy = "indicator-legacy" in _rules(stream)
        assert legacy == (n == 0)


def test_two_tables_and_amount_units(tmp_path: Path, batch: int) -> None:
    first = table_rows(
        projects=[
            P("培训项目", (12, 12, 0, 0), indicators=TRAINING),
            P("维修项目", (30, 20, 0, 10), indicators=MESSY),
        ]
    )
    second = table_rows(
        projects=[
            P("图书项目", (80000, 80000, 0, 0), indicators=LIBRARY),
            P("新体系项目", (50000, 40000, 0, 10000), indicators=NEW_SCHEME),
        ],
        unit_line="单位：元",
    )
    src = write_xlsx(tmp_path / "in.xlsx", {"表1": first, "表2": second})
    assert len(analyze(read_workbook(src)).tables) == 2
    whole, stream = _both(src, tmp_path)
    _assert_same(whole, stream)


def test_analyze_matches_build_tables_and_audit(tmp_path: Path) -> None:
    """analyze() (per-project steps) = build_tables + audit_table (whole-table steps)."""
    from perfsheet.core.audit import audit_table
    from perfsheet.core.layouts import build_tables

    src = _fragments_and_units(tmp_path / "in.xlsx")
    wb = read_workbook(src)
    got = analyze(wb)
    tables = build_tables(wb)
    for t in tables:
        t.findings.extend(audit_table(t))
    assert [t.model_dump() for t in got.tables] == [t.model_dump() for t in tables]


def test_bounded_audit_memo_gives_the_same_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    """A tiny memo (entries dropped and promoted all the time) changes nothing."""
    from perfsheet.core import audit

    wb = read_workbook(SEED)
    expected = [f.model_dump() for t in analyze(wb).tables for f in t.findings]
    monkeypatch.setattr(audit, "MEMO_LIMIT", 3)
    (analysis,) = analyze_tables(wb)
    table = pipeline.complete_table(analysis)
    assert len(analysis.audit._memo) <= 6
    assert [f.model_dump() for f in table.findings] == expected


def test_streaming_drops_each_projects_indicators(tmp_path: Path) -> None:
    from perfsheet.core.summary_rows import SummaryPlan
    from perfsheet.io.summary_writer import layout_from_spec, write_standard_stream
    from perfsheet.io.template import load_template

    spec = load_template(None)
    analyses = analyze_tables(read_workbook(SEED))
    plan = SummaryPlan(layout=layout_from_spec(spec), generated_at=WHEN)
    write_standard_stream(tmp_path / "out.xlsx", plan, spec, str(SEED), analyses, SEED.name)
    projects = [p for a in analyses for u in a.table.units for p in u.projects]
    assert len(projects) == 23 and all(p.indicators == [] for p in projects)
    assert all(text is None for a in analyses for text in a.deferred.texts)
    assert plan.totals["indicators"] == 156  # they were written before being dropped


# ---- the default path (the source copy), project by project ---------------------------------


def _parts(path: Path) -> dict[str, bytes]:
    import zipfile

    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def _both_copies(src: Path, tmp: Path, rules: Path | None = None) -> tuple[dict, dict]:
    """(the copy from analyze()'s whole result, the copy streamed project by project) of
    ``src``: every part of both packages, and their reports."""
    from perfsheet.summary import audit_hooks

    whole, stream = tmp / "whole.xlsx", tmp / "stream.xlsx"
    audit_rules, _, _ = audit_hooks(rules)
    analyzed = read_and_analyze(src, audit_rules=audit_rules)
    a = summarize(src, whole, rules=rules, generated_at=WHEN, analyzed=analyzed)
    b = summarize(src, stream, rules=rules, generated_at=WHEN)
    assert a.model_dump(exclude={"output"}) == b.model_dump(exclude={"output"})
    return _parts(whole), _parts(stream)


def _assert_same_parts(a: dict[str, bytes], b: dict[str, bytes]) -> None:
    assert list(a) == list(b)
    for name in a:
        assert a[name] == b[name], name


@pytest.mark.parametrize("case", ["seed", "fragments", "two-tables", "legacy-warning"])
def test_source_copy_streamed_is_the_same_package(tmp_path: Path, batch: int, case: str) -> None:
    """The default path streams (annotation builders fed project by project, the grid gone
    after the structures): the same package, part by part, as from the whole result."""
    rules = None
    if case == "seed":
        src = SEED
    elif case == "fragments":
        src = _fragments_and_units(tmp_path / "in.xlsx")
    elif case == "two-tables":
        src = write_xlsx(
            tmp_path / "in.xlsx",
            {
                "表1": table_rows(projects=[P("维修项目", (30, 20, 0, 10), indicators=MESSY)]),
                "表2": table_rows(projects=[P("旧体系项目", (10, 10, 0, 0), indicators=LEGACY)]),
            },
        )
    else:
        rules = tmp_path / "rules.toml"
        rules.write_text('[indicator-legacy]\nseverity = "warning"\n', encoding="utf-8")
        src = write_xlsx(
            tmp_path / "in.xlsx",
            table_rows(
                projects=[
                    P("旧体系项目", (10, 10, 0, 0), indicators=LEGACY),
                    P("新体系项目", (8, 8, 0, 0), indicators=NEW_SCHEME),
                ]
            ),
        )
    whole, stream = _both_copies(src, tmp_path, rules)
    _assert_same_parts(whole, stream)


def test_source_copy_streamed_every_layout(tmp_path: Path) -> None:
    import layout_workbooks as lw

    for name, build in lw.LAYOUT_CASES.items():
        if name == "forms_xls":
            continue
        d = tmp_path / name
        d.mkdir()
        path, _expected = build(d)
        whole, stream = _both_copies(path, d)
        _assert_same_parts(whole, stream)


def test_source_copy_failing_late_rebuilds_like_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A package the copy gives up on while assembling (after the streamed rows were written):
    the input is read and analyzed again and its sheets rebuilt, as the whole-result path
    does."""
    from perfsheet.io import source_copy
    from perfsheet.io.source_copy import assembly

    def fail(*_args: Any, **_kwargs: Any) -> None:
        raise source_copy.SourceCopyError("测试")

    monkeypatch.setattr(assembly, "_assemble", fail)
    src = _fragments_and_units(tmp_path / "in.xlsx")
    whole, stream = _both_copies(src, tmp_path)
    assert _cells_of(whole) == _cells_of(stream)
    report = summarize(src, tmp_path / "again.xlsx", generated_at=WHEN)
    assert report.mode == "rebuilt" and any("测试" in n for n in report.notes)


def _cells_of(parts: dict[str, bytes]) -> dict[str, list[list[Any]]]:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    wb = CalamineWorkbook.from_filelike(io.BytesIO(buf.getvalue()))
    return {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}
