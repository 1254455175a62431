from pathlib import Path

from perfsheet.core.counts import Counts, count_result, count_table
from perfsheet.core.models import Finding, Table
from perfsheet.core.pipeline import analyze
from perfsheet.io.readers import read_workbook

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
EXAMPLE = EXAMPLES / "广州市协作办公室_项目支出绩效目标表.xlsx"


def test_counts_of_the_seed_example():
    result = analyze(read_workbook(EXAMPLE))
    c = count_result(result)
    assert (c.tables, c.units, c.projects, c.indicators, c.errors) == (1, 2, 23, 156, 0)
    severities = [f.severity for t in result.tables for f in t.findings]
    assert c.warnings == severities.count("warning") > 0
    assert c.infos == severities.count("info") > 0


def test_counts_by_severity_and_addition():
    def finding(sev: str) -> Finding:
        return Finding(rule="r", severity=sev, message="m")

    table = Table(
        sheet="S",
        header_rows=[1],
        columns={},
        findings=[finding("error"), finding("warning"), finding("warning"), finding("info")],
    )
    c = count_table(table)
    assert (c.tables, c.errors, c.warnings, c.infos) == (1, 1, 2, 1)
    assert (c + c).warnings == 4
    assert Counts() + c == c
