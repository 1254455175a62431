"""examples/build_examples.py: reproducible bytes, and the committed workbooks are up to date."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from perfsheet.io.readers import read_workbook

ROOT = Path(__file__).resolve().parents[1]


def _builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_examples", ROOT / "examples" / "build_examples.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], list[Path]]:
    pytest.importorskip("xlsxwriter")
    builder = _builder()
    return builder.build(tmp_path_factory.mktemp("a")), builder.build(tmp_path_factory.mktemp("b"))


def built_root(path: Path) -> Path:
    """The build's output folder (the tidy copy is one level down, in ``source/``)."""
    return path.parent.parent if path.parent.name == "source" else path.parent


def test_two_builds_are_byte_identical(built: tuple[list[Path], list[Path]]) -> None:
    first, second = built
    assert [p.name for p in first] == [
        "广州市协作办公室_项目支出绩效目标表.xlsx",
        "广州市协作办公室_项目支出绩效目标表_整理版.xlsx",
    ]
    for a, b in zip(first, second, strict=True):
        assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()


def test_committed_examples_match_a_fresh_build(built: tuple[list[Path], list[Path]]) -> None:
    for fresh in built[0]:
        committed = ROOT / "examples" / fresh.relative_to(built_root(fresh))
        new, old = read_workbook(fresh), read_workbook(committed)
        assert [(s.name, s.rows, s.merged) for s in new.sheets] == [
            (s.name, s.rows, s.merged) for s in old.sheets
        ], f"{committed.name} is stale: run python examples/build_examples.py"


def test_raw_example_keeps_the_seed_text() -> None:
    lines = (
        (ROOT / "examples" / "source" / "seed_guangzhou_xiezuoban.tsv")
        .read_text(encoding="utf-8")
        .split("\n")
    )
    grid = read_workbook(ROOT / "examples" / "广州市协作办公室_项目支出绩效目标表.xlsx").sheets[0]
    for n, line in enumerate(lines, start=1):
        cells = line.split("\t")
        for c, text in enumerate(cells, start=1):
            assert grid.value(n, c) == (text or None), (n, c)
