"""The built-in summary template for users to start from: shipped in the wheel, written by
``perfsheet.export_template`` and ``perfsheet template``.

The wheel is built from this checkout with pip and hatchling (as ``perfsheet addin bundle``
builds it: :func:`perfsheet.excel.bundle.build_wheel`) and installed into a folder of its own;
a fresh interpreter that imports perfsheet from there exports the template, which must be the
committed ``templates/标准汇总模板.xlsx`` byte for byte. Exported files are read back with the
template reader and used for a real summary.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

import perfsheet
from perfsheet.core.sheets import SHEET_PROJECTS, STANDARD_SHEETS
from perfsheet.errors import OutputError, UsageError
from perfsheet.excel import bundle
from perfsheet.io.template import builtin_template, builtin_template_file, load_template, spec_json
from perfsheet.io.user_files import TEMPLATE_FILE_NAME
from summary_helpers import EXAMPLE, ROOT, TEMPLATE

PACKAGED = "perfsheet/io/_assets/standard_template.xlsx"


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONIOENCODING="utf-8", **extra)
    env.pop("PERFSHEET_DEBUG", None)
    return env


def _perfsheet(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``perfsheet …`` in a fresh interpreter running this checkout's ``src/``."""
    return subprocess.run(
        [sys.executable, "-m", "perfsheet", *args],
        cwd=cwd,
        env=_env(PYTHONPATH=str(ROOT / "src")),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


# --------------------------------------------------------------------------------------------
# The wheel
# --------------------------------------------------------------------------------------------


def test_the_wheel_ships_the_template_and_exports_it_byte_for_byte(tmp_path: Path) -> None:
    assert bundle.source_root() == ROOT  # the wheel of this checkout, not of another install
    (tmp_path / "wheel").mkdir()
    wheel = bundle.build_wheel(tmp_path / "wheel")
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read(PACKAGED) == TEMPLATE.read_bytes()
        record = archive.read(next(n for n in archive.namelist() if n.endswith("/RECORD")))
    assert PACKAGED in record.decode("utf-8")

    site = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index"]
    subprocess.run(
        [*pip, "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    work = tmp_path / "工作"
    work.mkdir()
    code = (
        "import perfsheet\n"
        "from perfsheet.io.template import builtin_template_file\n"
        "print(perfsheet.__file__)\n"
        "print(builtin_template_file())\n"
        "print(perfsheet.export_template())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=work,
        env=_env(PYTHONPATH=str(site)),
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
        timeout=120,
    )
    module, source, written = done.stdout.splitlines()
    # the installed copy runs and reads its own packaged template, not the repository's
    assert Path(module).is_relative_to(site)
    assert Path(source) == site / PACKAGED
    assert Path(written) == work / TEMPLATE_FILE_NAME
    assert (work / TEMPLATE_FILE_NAME).read_bytes() == TEMPLATE.read_bytes()


def test_in_a_checkout_the_repository_template_is_the_built_in_one() -> None:
    assert builtin_template_file() == TEMPLATE


# --------------------------------------------------------------------------------------------
# export_template
# --------------------------------------------------------------------------------------------


def test_the_export_reads_as_the_built_in_spec_and_makes_a_summary(tmp_path: Path) -> None:
    folder = tmp_path / "处室模板"
    folder.mkdir()
    exported = perfsheet.export_template(folder)
    assert exported == folder / TEMPLATE_FILE_NAME
    assert exported.read_bytes() == TEMPLATE.read_bytes()
    assert sorted(p.name for p in folder.iterdir()) == [TEMPLATE_FILE_NAME]  # no temp left

    spec = load_template(exported)
    assert spec.source == TEMPLATE_FILE_NAME
    spec.source = None
    assert spec_json(spec) == spec_json(builtin_template())

    mine = perfsheet.summarize(
        EXAMPLE, tmp_path / "模板.xlsx", template=exported, with_source=False
    )
    builtin = perfsheet.summarize(EXAMPLE, tmp_path / "内置.xlsx", with_source=False)
    assert mine.detail_rows == builtin.detail_rows > 0
    a, b = openpyxl.load_workbook(mine.output), openpyxl.load_workbook(builtin.output)
    assert a.sheetnames == b.sheetnames == list(STANDARD_SHEETS)
    for name in (SHEET_PROJECTS, *STANDARD_SHEETS[:1]):
        cells = [
            [(c.value, c.number_format, c.font.b, c.fill.fgColor.rgb) for c in row]
            for row in a[name].iter_rows()
        ]
        assert cells == [
            [(c.value, c.number_format, c.font.b, c.fill.fgColor.rgb) for c in row]
            for row in b[name].iter_rows()
        ]


def test_default_target_is_perfsheet_template_xlsx_in_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "各部门预算"
    work.mkdir()
    monkeypatch.chdir(work)
    assert perfsheet.export_template() == work / TEMPLATE_FILE_NAME
    assert (work / TEMPLATE_FILE_NAME).read_bytes() == TEMPLATE.read_bytes()
    # the name the add-in looks for: found next to a workbook of this folder
    assert perfsheet.find_template_file(work / "表.xlsx") == work / TEMPLATE_FILE_NAME


def test_a_file_name_and_a_new_folder(tmp_path: Path) -> None:
    named = perfsheet.export_template(tmp_path / "我的模板.xlsx")
    assert named == tmp_path / "我的模板.xlsx" and named.read_bytes() == TEMPLATE.read_bytes()
    new = perfsheet.export_template(str(tmp_path / "新建" / "子文件夹") + "/")
    assert new == tmp_path / "新建" / "子文件夹" / TEMPLATE_FILE_NAME and new.is_file()
    with pytest.raises(UsageError, match=r"^模板文件名须以 \.xlsx 结尾：.*末尾加 /"):
        perfsheet.export_template(tmp_path / "没有后缀")
    with pytest.raises(UsageError, match=r"\.xlsx 结尾"):
        perfsheet.export_template(tmp_path / "模板.xls")
    assert not (tmp_path / "没有后缀").exists() and not (tmp_path / "模板.xls").exists()


def test_an_existing_file_is_kept_unless_forced(tmp_path: Path) -> None:
    target = tmp_path / TEMPLATE_FILE_NAME
    target.write_bytes(b"my edited template")
    with pytest.raises(UsageError) as err:
        perfsheet.export_template(tmp_path)
    assert str(err.value) == f"{target} 已存在，没有覆盖（要用内置模板覆盖它，请加 --force）"
    assert target.read_bytes() == b"my edited template"
    assert perfsheet.export_template(tmp_path, force=True) == target
    assert target.read_bytes() == TEMPLATE.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == [TEMPLATE_FILE_NAME]


def test_a_file_in_the_way_of_the_folder_is_an_output_error(tmp_path: Path) -> None:
    (tmp_path / "预算").write_text("不是文件夹", encoding="utf-8")
    with pytest.raises(OutputError) as err:
        perfsheet.export_template(tmp_path / "预算" / "模板.xlsx")
    assert str(err.value).startswith(f"无法写入 {tmp_path / '预算' / '模板.xlsx'}：")
    assert "是一个文件，不是文件夹" in str(err.value)


# --------------------------------------------------------------------------------------------
# perfsheet template
# --------------------------------------------------------------------------------------------


def test_cli_writes_into_a_chinese_folder_refuses_to_overwrite_and_forces(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "绩效 模板"  # a space as well: the next step quotes the path
    folder.mkdir()
    target = folder / TEMPLATE_FILE_NAME

    done = _perfsheet("template", "绩效 模板", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    first, step = done.stdout.splitlines()
    assert first == f"已导出汇总模板：{target}"
    assert step.startswith("下一步：在 Excel 中按需修改它，放在绩效目标表所在的文件夹或用户主目录")
    assert step.endswith(f'perfsheet summary 文件 --template "{target}"')
    assert target.read_bytes() == TEMPLATE.read_bytes()

    target.write_bytes(b"edited")
    again = _perfsheet("template", str(folder), cwd=tmp_path)
    assert again.returncode == 2 and again.stdout == ""
    assert again.stderr.splitlines() == [
        f"错误：{target} 已存在，没有覆盖（要用内置模板覆盖它，请加 --force）"
    ]
    assert target.read_bytes() == b"edited"

    forced = _perfsheet("template", str(folder), "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert target.read_bytes() == TEMPLATE.read_bytes()
    assert sorted(p.name for p in folder.iterdir()) == [TEMPLATE_FILE_NAME]


def test_cli_default_target_and_another_name(tmp_path: Path) -> None:
    done = _perfsheet("template", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / TEMPLATE_FILE_NAME).read_bytes() == TEMPLATE.read_bytes()
    other = _perfsheet("template", "教育局模板.xlsx", cwd=tmp_path)
    assert other.returncode == 0, other.stderr
    assert f"改名为 {TEMPLATE_FILE_NAME}" in other.stdout.splitlines()[1]
    bad = _perfsheet("template", "模板.txt", cwd=tmp_path)
    assert bad.returncode == 2
    assert bad.stderr.splitlines() == [
        "错误：模板文件名须以 .xlsx 结尾：模板.txt（要放进一个新文件夹，请在路径末尾加 /）"
    ]
