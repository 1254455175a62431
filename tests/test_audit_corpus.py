"""``indicator-misfiled`` precision: a corpus of correctly filed indicators gives no warning.

``tests/data/audit_filed_corpus.tsv`` holds at least 10 realistic indicators per level-2
category (the seed, the public tables of the domain notes, and made-up projects). Each one is
written as a seed-style packed cell, parsed by the real parser and audited on its own.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import NamedTuple

import pytest

from perfsheet.core.audit import audit_indicators
from perfsheet.core.categories import LEVEL1, LEVEL2
from perfsheet.core.indicators import parse_indicators

CORPUS = Path(__file__).parent / "data" / "audit_filed_corpus.tsv"


class Row(NamedTuple):
    code: str
    name: str
    period: str
    annual: str
    origin: str


def _rows() -> list[Row]:
    rows = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        code, name, period, annual, origin = line.split("\t")
        rows.append(Row(code, name, period, annual or period, origin))
    return rows


ROWS = _rows()


def _cell(code: str, name: str, period: str, annual: str) -> str:
    return (
        f"1、{code[0]}-{LEVEL1[code[0]]}；{code}-{LEVEL2[code].name}；{name}；"
        f"实施周期指标值:{period}；年度指标值:{annual}。"
    )


def _misfiled(code: str, name: str, period: str, annual: str) -> list[str]:
    indicators = parse_indicators(_cell(code, name, period, annual))
    assert len(indicators) == 1
    (ind,) = indicators
    assert (ind.level2_code, ind.name) == (code, name)  # the corpus tests what it says
    return [f.message for f in audit_indicators(indicators) if f.rule == "indicator-misfiled"]


def test_the_corpus_covers_every_level2_category() -> None:
    counts = Counter(r.code for r in ROWS)
    assert set(counts) == set(LEVEL2)
    assert min(counts.values()) >= 10, counts
    assert len({(r.code, r.name) for r in ROWS}) == len(ROWS)  # no duplicates


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.code}-{r.name}" for r in ROWS])
def test_correctly_filed_indicator_is_not_misfiled(row: Row) -> None:
    assert _misfiled(row.code, row.name, row.period, row.annual) == []


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("提升援藏工作知名度", "有所提升"),  # the seed's item (line 16 #7)
        ("培训人数", "≥390人"),
        ("带动就业人数", "≥1.4万人"),
        ("资金拨付及时率", "100%"),
        ("带动村集体收入", "≥5万元"),
        ("公共文化服务覆盖率", "≥95%"),
        ("政务服务事项网上可办率", "≥90%"),
        ("招商引资落户企业数", "≥10家"),
        ("媒体宣传报道", "不低于30篇"),
        ("信息系统运行稳定率", "≥99.5%"),
    ],
)
def test_non_ecological_indicator_under_ecology_is_still_misfiled(name: str, value: str) -> None:
    assert "生态效益指标与生态环境无关" in " ".join(_misfiled("23", name, value, value))


def test_a_saving_is_an_economic_benefit_a_cost_figure_is_not() -> None:
    assert _misfiled("21", "为企业降低物流成本", "≥150万元", "≥150万元") == []
    flagged = _misfiled("21", "人均培训成本", "≤4000元/人", "≤4000元/人")  # the seed's (l.12)
    assert "成本类指标归入了经济效益指标" in " ".join(flagged)
