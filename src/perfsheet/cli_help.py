"""Chinese, plain-text help and usage errors for the ``perfsheet`` command line.

typer renders help through rich and markdown_it (slow to import: ``perfsheet --help`` would
start in more than the time of ``import openpyxl``) and leaves click's English behind: "Usage:",
"Options", "Show this message and exit.", type names such as ``<bool>``, "Error: Missing
option". :class:`ChineseGroup` and :class:`ChineseCommand` render the whole help themselves,
in Chinese, with the display width of CJK text, and :meth:`ChineseGroup.main` prints click's
usage errors in Chinese (one ``错误：`` line, exit code 2).

Only the standard library and ``typer.core`` are imported here: nothing of rich is on the help
path (``tests/test_cli_help.py`` checks it in a fresh process).
"""

from __future__ import annotations

import re
import shutil
import sys
import unicodedata
from collections.abc import Sequence
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

HELP_OPTION_NAMES = ["-h", "--help"]
HELP_TEXT = "显示帮助并退出"
CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": HELP_OPTION_NAMES}

#: Metavars of options without one of their own, by click type name.
_TYPE_METAVARS = {"integer": "整数", "float": "数字", "path": "路径", "text": "文本"}
_TYPE_NAMES = {"integer": "整数", "float": "数字", "number": "数字", "boolean": "布尔值"}

# click's exception classes, from wherever this typer takes click (its own copy since 0.17).
_ClickException: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"
)
_exceptions = sys.modules[_ClickException.__module__]


# --------------------------------------------------------------------------------------------
# Text layout by display width (a CJK character takes two columns)
# --------------------------------------------------------------------------------------------

_TOKEN_RE = re.compile(r"\s+|[!-~]+|.")
_NO_LINE_START = frozenset("，。、；：？！）」』》〕】…%")
_NO_LINE_END = frozenset("（「『《〔【")


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal."""
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
        for c in text
    )


def _tokens(text: str) -> list[str]:
    """Units a line may break between: ASCII words, spaces, single CJK characters; closing
    punctuation stays with what precedes it, opening punctuation with what follows."""
    out: list[str] = []
    glue = False
    for tok in _TOKEN_RE.findall(text):
        if out and (glue or (tok[0] in _NO_LINE_START and not out[-1].isspace())):
            out[-1] += tok
        else:
            out.append(tok)
        glue = tok[-1] in _NO_LINE_END
    return out


def wrap(text: str, limit: int) -> list[str]:
    """``text`` in lines of at most ``limit`` columns (a longer ASCII word gets its own line)."""
    lines: list[str] = []
    for para in text.splitlines() or [""]:
        line, used = "", 0
        for tok in _tokens(para.strip()):
            w = width(tok)
            if tok.isspace():
                if line and used + 1 <= limit:
                    line, used = line + " ", used + 1
                continue
            if line and used + w > limit:
                lines.append(line.rstrip())
                line, used = "", 0
            line, used = line + tok, used + w
        lines.append(line.rstrip())
    return lines


def _join_lines(text: str) -> list[str]:
    """Paragraphs of a docstring: lines joined (without a space between CJK characters)."""
    paragraphs: list[str] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        joined = ""
        for line in block.splitlines():
            line = line.strip()
            if joined and not (width(joined[-1]) == 2 or width(line[:1]) == 2):
                joined += " "
            joined += line
        if joined:
            paragraphs.append(joined)
    return paragraphs


def shell_arg(path: object) -> str:
    """``path`` as it can be pasted back on a command line (quoted when it holds a space)."""
    text = str(path)
    return f'"{text}"' if any(c.isspace() for c in text) else text


def _terminal_width() -> int:
    return max(60, min(shutil.get_terminal_size((80, 24)).columns, 100)) - 2


def _definitions(rows: Sequence[tuple[str, str]], total: int) -> list[str]:
    """Two aligned columns; a term too long for the first column puts its text below it."""
    if not rows:
        return []
    col = min(max(width(term) for term, _ in rows), 28)
    text_width = max(total - 2 - col - 2, 20)
    out: list[str] = []
    for term, text in rows:
        lines = wrap(text, text_width) if text else [""]
        if width(term) > col:
            out.append(f"  {term}")
            out.extend(" " * (col + 4) + line for line in lines if line)
            continue
        pad = " " * (col - width(term))
        out.append(f"  {term}{pad}  {lines[0]}".rstrip())
        out.extend(" " * (col + 4) + line for line in lines[1:])
    return out


# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------


def _metavar(param: Any) -> str:
    if param.metavar:
        return str(param.metavar)
    type_name = getattr(param.type, "name", "")
    choices = getattr(param.type, "choices", None)
    if choices:
        return "{" + "|".join(map(str, choices)) + "}"
    return _TYPE_METAVARS.get(type_name, "值")


def _argument_usage(param: Any) -> str:
    text = _metavar(param)
    if param.nargs != 1:
        text += "..."
    return text if param.required else f"[{text}]"


def _default_text(param: Any) -> str | None:
    if not getattr(param, "show_default", False) or getattr(param, "is_flag", False):
        return None
    default = param.default
    if default is None or default is False or callable(default):
        return None
    if isinstance(default, float) and default.is_integer():
        return str(int(default))
    if isinstance(default, list | tuple):
        return "、".join(map(str, default)) or None
    return str(default)


def _param_help(param: Any, help_option: Any) -> str:
    text = HELP_TEXT if param is help_option else (getattr(param, "help", None) or "")
    extra = []
    default = _default_text(param)
    if default is not None:
        extra.append(f"默认：{default}")
    if param.required:
        extra.append("必填")
    text = "；".join([text, *extra] if text else extra)
    return " ".join(_join_lines(text))


def _option_term(param: Any) -> str:
    names = sorted(param.opts, key=lambda n: (n.startswith("--"), n))
    term = ", ".join(names)
    if param.secondary_opts:
        term += " / " + ", ".join(param.secondary_opts)
    if not getattr(param, "is_flag", False) and not getattr(param, "count", False):
        term += f" {_metavar(param)}"
    return term


def _hint(param: Any) -> str:
    if getattr(param, "param_type_name", "") == "argument":
        return _metavar(param)
    return " / ".join(param.opts)


# --------------------------------------------------------------------------------------------
# Help pages
# --------------------------------------------------------------------------------------------


def _first_sentence(text: str) -> str:
    first = _join_lines(text)[0] if text.strip() else ""
    cut = first.find("。")
    return first[: cut + 1] if cut >= 0 else first


class _ChineseHelp:
    """The help page and usage line of a command or group, in Chinese."""

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        formatter.write(self._usage_line(ctx) + "\n")

    def _usage_line(self, ctx: Any) -> str:
        pieces = ["[选项]"]
        for param in self.get_params(ctx):  # type: ignore[attr-defined]
            if getattr(param, "param_type_name", "") == "argument" and not param.hidden:
                pieces.append(_argument_usage(param))
        if isinstance(self, TyperGroup):
            pieces.append("命令 [参数]...")
        return f"用法：{ctx.command_path} {' '.join(pieces)}"

    def format_help(self, ctx: Any, formatter: Any) -> None:
        total = _terminal_width()
        out = wrap(self._usage_line(ctx), total)
        help_text = getattr(self, "help", None) or ""
        for para in _join_lines(help_text):
            out += ["", *wrap(para, total)]
        params = [p for p in self.get_params(ctx) if not getattr(p, "hidden", False)]  # type: ignore[attr-defined]
        help_option = self.get_help_option(ctx)  # type: ignore[attr-defined]
        arguments = [
            (_metavar(p), _param_help(p, help_option))
            for p in params
            if getattr(p, "param_type_name", "") == "argument"
        ]
        options = [
            (_option_term(p), _param_help(p, help_option))
            for p in params
            if getattr(p, "param_type_name", "") != "argument"
        ]
        if isinstance(self, TyperGroup):
            commands = []
            for name in self.list_commands(ctx):
                cmd = self.get_command(ctx, name)
                if cmd is None or cmd.hidden:
                    continue
                commands.append((name, cmd.short_help or _first_sentence(cmd.help or "")))
            if commands:
                out += ["", "命令：", *_definitions(commands, total)]
        if arguments:
            out += ["", "参数：", *_definitions(arguments, total)]
        if options:
            out += ["", "选项：", *_definitions(options, total)]
        if isinstance(self, TyperGroup):
            out += ["", f"查看某个命令的用法：{ctx.command_path} 命令 -h"]
        formatter.write("\n".join(out) + "\n")

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = HELP_TEXT
        return option


class ChineseCommand(_ChineseHelp, TyperCommand):
    """A command whose help is plain Chinese text."""


class ChineseGroup(_ChineseHelp, TyperGroup):
    """A group whose help is plain Chinese text, and whose usage errors are printed in
    Chinese when it is the program's entry point."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, False, **extra)
        except _ClickException as err:
            show_error(err)
            sys.exit(getattr(err, "exit_code", 2))
        except typer.Abort:
            print("已中止。", file=sys.stderr)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


# --------------------------------------------------------------------------------------------
# Usage errors
# --------------------------------------------------------------------------------------------


def _is(err: Exception, name: str) -> bool:
    cls = getattr(_exceptions, name, None)
    return cls is not None and isinstance(err, cls)


def _bad_value(message: str) -> str:
    m = re.search(r"valid (integer|float|number|boolean)", message)
    return f"应为{_TYPE_NAMES[m.group(1)]}" if m else message


def error_message(err: Exception) -> str:
    """click's usage error ``err`` as one Chinese sentence."""
    message = str(getattr(err, "message", "") or err)
    param = getattr(err, "param", None)
    if _is(err, "MissingParameter"):
        kind = "参数" if getattr(param, "param_type_name", "") == "argument" else "选项"
        return f"缺少{kind} {_hint(param)}" if param is not None else "缺少参数"
    if _is(err, "BadParameter"):
        where = f"{_hint(param)} 的值无效" if param is not None else "值无效"
        return f"{where}：{_bad_value(message)}"
    if _is(err, "NoSuchOption"):
        text = f"没有选项 {err.option_name}"  # type: ignore[attr-defined]
        possible = getattr(err, "possibilities", None)
        return text + (f"（是否想用：{'、'.join(sorted(possible))}）" if possible else "")
    patterns = (
        (r"Option '(.+)' requires an? (argument|value)", "选项 {0} 需要一个值"),
        (r"Option '(.+)' does not take a value", "选项 {0} 不接受值"),
        (r"Got unexpected extra argument(?:s|\(s\))? \((.*)\)", "多余的参数：{0}"),
        (r"No such command '(.+)'", "没有命令「{0}」"),
        (r"Missing command", "缺少命令"),
    )
    for pattern, chinese in patterns:
        m = re.search(pattern, message)
        if m:
            return chinese.format(*m.groups())
    return message


def show_error(err: Exception) -> None:
    """Print click's exception ``err`` in Chinese on stderr: the usage line, the error, and
    where to find help (the help page itself when the command was given no arguments)."""
    ctx = getattr(err, "ctx", None)
    if _is(err, "NoArgsIsHelpError") and ctx is not None:
        typer.echo(ctx.get_help(), err=True)
        return
    lines = []
    if ctx is not None:
        lines.append(ctx.get_usage())
    lines.append(f"错误：{error_message(err)}")
    if ctx is not None:
        lines.append(f"查看帮助：{ctx.command_path} -h")
    typer.echo("\n".join(lines), err=True)
