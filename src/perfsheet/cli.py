"""The ``perfsheet`` command line. Thin: every command calls the core through one function.

Imports are lazy so that ``perfsheet --help`` starts fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from perfsheet import __version__
from perfsheet.cli_help import CONTEXT_SETTINGS, ChineseCommand, ChineseGroup, shell_arg
from perfsheet.errors import PerfsheetError

# Help pages are plain Chinese text rendered by perfsheet.cli_help (no rich, no markdown):
# every command is declared with cls=ChineseCommand, every group with cls=ChineseGroup.
app = typer.Typer(
    name="perfsheet",
    help="项目支出绩效目标表：解析绩效指标、校验金额合计、生成标准化汇总表。",
    cls=ChineseGroup,
    context_settings=CONTEXT_SETTINGS,
    rich_markup_mode=None,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
addin_app = typer.Typer(
    help="构建与安装 Excel 加载项（perfsheet.xlam），生成内网用的离线安装包。",
    cls=ChineseGroup,
    rich_markup_mode=None,
    no_args_is_help=True,
)
app.add_typer(addin_app, name="addin")

FileArg = Annotated[
    Path, typer.Argument(help="工作簿或 PDF 文件（.xlsx / .xlsm / .xls / .pdf）", metavar="文件")
]
SheetOpt = Annotated[str | None, typer.Option("--sheet", help="只处理该工作表", metavar="工作表名")]
JsonOpt = Annotated[bool, typer.Option("--json", help="以 JSON 输出到标准输出")]
RulesOpt = Annotated[
    Path | None, typer.Option("--rules", help="指标质量规则文件（TOML）", metavar="文件")
]


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"perfsheet {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", help="显示版本号并退出", is_eager=True, callback=_show_version),
    ] = False,
) -> None:
    pass  # the options above act in their callbacks; the help text is the Typer's


def _fail(err: PerfsheetError) -> None:
    typer.echo(f"错误：{err}", err=True)
    raise typer.Exit(err.exit_code)


@app.command(cls=ChineseCommand)
def parse(
    file: FileArg, sheet: SheetOpt = None, json: JsonOpt = False, rules: RulesOpt = None
) -> None:
    """解析工作簿中的绩效目标表：单位、项目、指标与校验结果。"""
    from perfsheet.commands import run_parse

    try:
        code = run_parse(file, sheet=sheet, as_json=json, rules=rules)
    except PerfsheetError as err:
        _fail(err)
    raise typer.Exit(code)


@app.command(cls=ChineseCommand)
def check(
    file: FileArg, sheet: SheetOpt = None, json: JsonOpt = False, rules: RulesOpt = None
) -> None:
    """校验金额合计与绩效指标；有“错误”级问题时退出码为 1。"""
    from perfsheet.commands import run_check

    try:
        code = run_check(file, sheet=sheet, as_json=json, rules=rules)
    except PerfsheetError as err:
        _fail(err)
    raise typer.Exit(code)


@app.command(cls=ChineseCommand)
def summary(
    file: FileArg,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="输出文件（默认：输入文件旁的 <文件名>_绩效汇总.xlsx）",
            metavar="文件",
        ),
    ] = None,
    sheet: SheetOpt = None,
    template: Annotated[
        Path | None,
        typer.Option("--template", help="汇总模板（.xlsx，列按表头文字匹配）", metavar="文件"),
    ] = None,
    no_source: Annotated[
        bool, typer.Option("--no-source", help="只输出标准汇总表，不复制原表（最快）")
    ] = False,
    rules: RulesOpt = None,
) -> None:
    """生成标准化汇总工作簿：绩效指标明细、项目汇总、校验结果、说明（默认保留原表并加辅助列）。"""
    from perfsheet.commands import run_summary

    try:
        code = run_summary(
            file, output=output, sheet=sheet, template=template, no_source=no_source, rules=rules
        )
    except PerfsheetError as err:
        _fail(err)
    raise typer.Exit(code)


@app.command(cls=ChineseCommand)
def convert(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="工作簿文件或文件夹（可多个）", show_default=False, metavar="文件或文件夹"
        ),
    ],
    outdir: Annotated[
        Path,
        typer.Option("-o", "--output", help="输出目录", show_default=False, metavar="文件夹"),
    ],
    jobs: Annotated[
        int | None,
        typer.Option(
            "-j",
            "--jobs",
            help="并行进程数（默认：CPU 核数）",
            show_default=False,
            metavar="进程数",
        ),
    ] = None,
    recursive: Annotated[bool, typer.Option("--recursive", "-r", help="递归处理子文件夹")] = False,
    template: Annotated[
        Path | None, typer.Option("--template", help="汇总表模板（.xlsx）", metavar="文件")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="即使输出已是最新也重新转换")] = False,
    json: JsonOpt = False,
    with_source: Annotated[
        bool, typer.Option("--with-source", help="在输出中附带标注后的源表副本")
    ] = False,
    timeout: Annotated[
        float, typer.Option("--timeout", help="单个文件的最长处理时间（秒）", metavar="秒数")
    ] = 600.0,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Dask 调度器地址（如 tcp://10.0.0.5:8786），在集群上转换",
            metavar="地址",
        ),
    ] = None,
    rules: RulesOpt = None,
    keep_duplicates: Annotated[
        bool,
        typer.Option(
            "--keep-duplicates",
            help="重复的表格（部门、项目和金额都相同）也计入合并汇总的合计；默认只计一次并警告",
        ),
    ] = False,
) -> None:
    """批量转换文件夹中的工作簿：每个输入一个标准化汇总表，外加合并工作簿与转换报告。

    退出码：0 全部成功；1 部分文件失败（其余照常转换）；2 无法执行（参数错误、输出目录不可写）。
    """
    from perfsheet.batch.command import ConvertOptions
    from perfsheet.batch.progress import run_convert

    opts = ConvertOptions(
        paths=paths,
        outdir=outdir,
        jobs=jobs,
        recursive=recursive,
        template=template,
        force=force,
        with_source=with_source,
        timeout=timeout,
        scheduler=scheduler,
        rules=rules,
        keep_duplicates=keep_duplicates,
    )
    try:
        code = run_convert(opts, as_json=json)
    except PerfsheetError as err:
        _fail(err)
    raise typer.Exit(code)


@app.command(cls=ChineseCommand)
def template(
    target: Annotated[
        str | None,  # not Path: that would drop the trailing "/" of a folder yet to be made
        typer.Argument(
            help="写到这个 .xlsx 文件，或这个文件夹（已有的，或以 / 结尾的新文件夹）中的 "
            "perfsheet.template.xlsx（默认：当前文件夹下的 perfsheet.template.xlsx）",
            show_default=False,
            metavar="目标路径",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="目标文件已存在时覆盖它")] = False,
) -> None:
    """导出内置的汇总模板，修改后供 --template 和 Excel 加载项使用。

    模板中的列按表头文字匹配：可以调整列顺序、删除列、修改样式，可以在表头上方加标题行。
    已有的文件不会被覆盖（除非加 --force）。
    """
    from perfsheet.io.template import export_template
    from perfsheet.io.user_files import TEMPLATE_FILE_NAME

    try:
        path = export_template(target, force=force)
    except PerfsheetError as err:
        _fail(err)
    typer.echo(f"已导出汇总模板：{path}")
    command = f"perfsheet summary 文件 --template {shell_arg(path)}"
    if path.name == TEMPLATE_FILE_NAME:
        use = "放在绩效目标表所在的文件夹或用户主目录中（Excel 加载项的按钮会用它），或"
    else:
        use = f"改名为 {TEMPLATE_FILE_NAME} 放在绩效目标表旁边（供 Excel 加载项用），或"
    typer.echo(f"下一步：在 Excel 中按需修改它，{use}在命令行指定：{command}")


@addin_app.command("build", cls=ChineseCommand)
def addin_build(
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="输出文件或文件夹（默认：当前文件夹下的 perfsheet.xlam）",
            metavar="文件或文件夹",
        ),
    ] = None,
) -> None:
    """构建 perfsheet.xlam（任何系统上均可，两次构建结果逐字节相同）。"""
    from perfsheet.excel.addin import build_addin

    try:
        path = build_addin(output)
    except PerfsheetError as err:
        _fail(err)
    typer.echo(f"已生成加载项：{path}")


@addin_app.command("install", cls=ChineseCommand)
def addin_install(
    uninstall: Annotated[
        bool, typer.Option("--uninstall", help="卸载加载项并删除解释器设置")
    ] = False,
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir", help="安装到此文件夹（默认：Excel 的 XLSTART 启动文件夹）", metavar="文件夹"
        ),
    ] = None,
) -> None:
    """把 perfsheet.xlam 安装到 Excel 启动文件夹，并写入 Python 解释器设置（perfsheet.conf）。"""
    from perfsheet.excel.addin import install_addin

    try:
        result = install_addin(uninstall=uninstall, addin_dir=directory)
    except PerfsheetError as err:
        _fail(err)
    if result.removed:
        typer.echo(f"已卸载加载项：{result.addin_path}；已移除设置：{result.conf_path}")
    else:
        typer.echo(f"已安装加载项：{result.addin_path}")
        typer.echo(f"解释器设置：{result.conf_path}（Python：{result.interpreter}）")
        if sys.platform.startswith("win") or sys.platform == "darwin":
            typer.echo("请重新启动 Excel，功能区将出现“绩效指标”选项卡。")


@addin_app.command("bundle", cls=ChineseCommand)
def addin_bundle(
    output: Annotated[
        Path,
        typer.Option("-o", "--output", help="输出文件夹", show_default=False, metavar="文件夹"),
    ],
    zip_file: Annotated[
        bool, typer.Option("--zip", help="另外生成同名的 .zip 压缩包（便于拷贝）")
    ] = False,
    wheel: Annotated[
        Path | None,
        typer.Option(
            "--wheel", help="使用这个 perfsheet wheel（默认：从源代码构建）", metavar="文件"
        ),
    ] = None,
    python: Annotated[
        list[str] | None,
        typer.Option(
            "--python",
            help="为哪个 Python 版本准备依赖，可重复（默认：3.11、3.12、3.13）",
            show_default=False,
            metavar="版本",
        ),
    ] = None,
    find_links: Annotated[
        Path | None,
        typer.Option(
            "--find-links",
            help="只从这个文件夹取依赖，不访问软件包索引（内网的 wheel 仓库）",
            metavar="文件夹",
        ),
    ] = None,
) -> None:
    """生成离线安装包：内网电脑不联网即可安装 perfsheet 与 Excel 加载项。

    文件夹中有 perfsheet 与全部依赖（Windows 64 位，每个 Python 版本一套 wheel）、
    perfsheet.xlam、安装.bat 与 卸载.bat。生成时需要能访问 PyPI（或 pip 配置的镜像）。
    """
    from perfsheet.excel.bundle import WINDOWS_PYTHONS, make_bundle

    options = ["--no-index", "--find-links", str(find_links)] if find_links else []
    try:
        result = make_bundle(
            output,
            wheel=wheel,
            pythons=python or WINDOWS_PYTHONS,
            zip_file=zip_file,
            pip_options=options,
            log=lambda message: typer.echo(message, err=True),
        )
    except PerfsheetError as err:
        _fail(err)
    size = result.size / 1024 / 1024
    typer.echo(
        f"已生成离线安装包：{result.folder}（{len(result.wheels)} 个 wheel，{size:.1f} MB，"
        f"用时 {result.seconds:.0f} 秒）"
    )
    if result.zip_path is not None:
        typer.echo(f"压缩包：{result.zip_path}")
    typer.echo("在目标电脑上：复制整个文件夹（压缩包先全部解压），双击其中的 安装.bat。")


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("已中断。", err=True)
        sys.exit(130)
    except OSError as err:  # last resort: a system error no command turned into a message
        if os.environ.get("PERFSHEET_DEBUG"):
            raise
        from perfsheet.errors import describe_os_error

        where = err.filename or ""
        reason, advice = describe_os_error(where, err)
        typer.echo(f"错误：{where + '：' if where else ''}{reason}；{advice}", err=True)
        sys.exit(2)
    except Exception as err:  # never a traceback for the user; PERFSHEET_DEBUG=1 shows it
        if os.environ.get("PERFSHEET_DEBUG"):
            raise
        typer.echo(
            f"错误：perfsheet 内部错误（{type(err).__name__}：{err}）；"
            "请把这一行和输入文件发给维护者（设置环境变量 PERFSHEET_DEBUG=1 可看到详细信息）",
            err=True,
        )
        sys.exit(1)
