"""Output names are built from sanitized input names only: nothing lands outside OUTDIR."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path, PurePath

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfsheet.batch.discovery import Candidate, assign_outputs, discover
from perfsheet.batch.naming import (
    CONSOLIDATED_NAME,
    MAX_DIR_BYTES,
    OUTPUT_SUFFIX,
    REPORT_NAME,
    inside,
    safe_component,
)

RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{p}{d}" for p in ("COM", "LPT") for d in "0123456789¹²³"
}

hostile_piece = st.one_of(
    st.sampled_from(
        [
            "..",
            ".",
            "",
            "/",
            "\\",
            "../..",
            "..\\..\\windows",
            "C:",
            "C:\\x",
            "//server/share",
            "CON",
            "con.txt",
            "LPT1 ",
            "COM¹",
            "nul.xlsx",
            " . ",
            "~$",
            ".hidden",
            "a\x00b",
            "a\nb",
            "\u202eevil",
            "部门/../../x",
            "名" * 120,
        ]
    ),
    st.text(min_size=0, max_size=80),
    st.text(alphabet=st.sampled_from('./\\:*?"<>|. ~$名'), max_size=30),
)


def _assert_safe_component(part: str) -> None:
    assert part not in ("", ".", "..")
    assert not part.startswith(".")
    assert not part.endswith((".", " "))
    assert not any(c in part for c in '<>:"/\\|?*')
    assert not any(ord(c) < 32 for c in part)
    assert len(part.encode("utf-8")) <= 255
    assert part.split(".", 1)[0].strip().upper() not in RESERVED


@given(st.lists(hostile_piece, min_size=1, max_size=5), hostile_piece)
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_hostile_names_stay_inside_outdir(dirs: list[str], name: str) -> None:
    source = PurePath(*[d for d in dirs if d], (name or "x") + ".xlsx")
    cands = [Candidate(path=Path("in") / source, real=f"/in/{source}", source=source)]
    assign_outputs(cands)
    rel = cands[0].rel_output
    assert not rel.is_absolute() and not rel.anchor
    for part in rel.parts:
        _assert_safe_component(part)
    assert rel.name.endswith(OUTPUT_SUFFIX)
    assert rel.name not in (CONSOLIDATED_NAME, REPORT_NAME)
    with tempfile.TemporaryDirectory() as tmp:
        outdir = Path(tmp) / "out"
        outdir.mkdir()
        target = outdir / rel
        assert inside(outdir, target)
        # The file system accepts the name, and the file really is inside OUTDIR.
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"")
        found = [p for p in Path(tmp).rglob("*") if p.is_file()]
        assert found == [target]
        assert Path(os.path.realpath(target)).is_relative_to(os.path.realpath(outdir))


@given(st.text(max_size=400))
@settings(max_examples=300, deadline=None)
def test_safe_component_properties(text: str) -> None:
    part = safe_component(text)
    _assert_safe_component(part)
    assert len(part.encode("utf-8")) <= MAX_DIR_BYTES


def test_long_names_stay_distinct() -> None:
    a = safe_component("部" * 200 + "甲")
    b = safe_component("部" * 200 + "乙")
    assert a != b
    assert len(a.encode()) <= MAX_DIR_BYTES


def test_hostile_files_on_disk(tmp_path: Path) -> None:
    """Real files with hostile names: every output lands inside OUTDIR, each distinct."""
    src = tmp_path / "in"
    (src / "sub\\..\\..\\evil").mkdir(parents=True)
    names = [
        "CON.xlsx",
        "con.XLSX",
        "a:b.xlsx",
        "x\\..\\..\\y.xlsx",
        "..\\hidden-anyway.xlsx",
        "tab\there.xlsx",
        "new\nline.xlsx",
        "名" * 80 + ".xlsx",
        "trailing. .xlsx",
        "dup.xlsx",
        "dup.xls",
        "DUP.xlsx",
    ]
    for n in names:
        (src / n).write_bytes(b"x")
    (src / "sub\\..\\..\\evil" / "inner.xlsx").write_bytes(b"x")
    outdir = tmp_path / "out"
    found = discover([src], outdir, recursive=True)
    assert [e.reason_code for e in found.skipped] == ["hidden"]
    assert len(found.candidates) == len(names)  # one hidden skipped, one file in the subfolder
    rels = [c.rel_output for c in found.candidates]
    assert len({r.as_posix().casefold() for r in rels}) == len(rels)
    for rel in rels:
        for part in rel.parts:
            _assert_safe_component(part)
        target = outdir / rel
        assert inside(outdir, target)
    by_name = {c.source.as_posix(): c.rel_output.as_posix() for c in found.candidates}
    assert by_name["CON.xlsx"].startswith("_CON")
    assert by_name["dup.xls"] == "dup(xls)" + OUTPUT_SUFFIX
    # dup.xlsx and DUP.xlsx differ only by case: both get a tag that includes a path hash.
    assert by_name["dup.xlsx"] != by_name["DUP.xlsx"]
    assert by_name["dup.xlsx"].startswith("dup(xlsx-")


def test_symlinked_subfolder_inside_outdir_is_refused(tmp_path: Path) -> None:
    outdir = tmp_path / "out"
    outdir.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (outdir / "sub").symlink_to(elsewhere)
    assert not inside(outdir, outdir / "sub" / "x.xlsx")
    assert inside(outdir, outdir / "real" / "x.xlsx")
