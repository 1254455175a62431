"""The rules file (``--rules``, ``perfsheet.rules.toml``): TOML text -> :class:`AuditRules`.

An adapter: the audit in :mod:`perfsheet.core.audit` receives its rules as a model and never
reads a file. A rules file only lists what it changes; everything else keeps the defaults
(:func:`perfsheet.core.audit.default_rules`; ``default_rules.toml`` beside this module is their
commented copy for users, tested equal). Invalid files raise :class:`RulesFileError` naming the
file and line, in Chinese.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final, get_args

from perfsheet.core.audit import (
    COVERAGE,
    DUPLICATE,
    LEGACY,
    MISFILED,
    PERIOD,
    QUALITY_RULES,
    UNIT,
    VAGUE,
    AuditRules,
    RuleSetting,
    default_rules,
)
from perfsheet.core.audit_heuristics import canonical_category
from perfsheet.core.models import Severity
from perfsheet.core.rules import RULES
from perfsheet.errors import PerfsheetError
from perfsheet.io.user_files import RULES_FILE_NAME, find_user_file

__all__ = [
    "RULES_FILE_NAME",
    "RulesFileError",
    "find_rules_file",
    "load_rules",
    "resolve_rules",
    "rules_from_toml",
]

_SEVERITIES: Final[tuple[str, ...]] = get_args(Severity)


class RulesFileError(PerfsheetError):
    """A rules file that cannot be used: unreadable, bad TOML, unknown rule, bad option."""

    def __init__(self, path: str, line: int | None, reason: str) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        where = f"规则文件 {path}" + (f" 第 {line} 行" if line else "")
        super().__init__(f"{where}：{reason}")


# Options each rule accepts besides ``enabled`` and ``severity``: name -> (kind, description).
_OPTIONS: Final[dict[str, dict[str, str]]] = {
    VAGUE: {"words": "字符串列表", "extra_words": "字符串列表"},
    COVERAGE: {"required": "字符串列表"},
    MISFILED: {},
    DUPLICATE: {},
    UNIT: {},
    PERIOD: {},
    LEGACY: {},
}


def _line_of_toml_error(err: tomllib.TOMLDecodeError, text: str) -> int | None:
    lineno = getattr(err, "lineno", None)  # Python ≥ 3.14
    if isinstance(lineno, int):
        return lineno
    m = re.search(r"at line (\d+)", str(err))
    if m:
        return int(m.group(1))
    if "end of document" in str(err):
        return max(1, text.count("\n") + (0 if text.endswith("\n") else 1))
    return None


def _split_key(key: str) -> tuple[str, ...]:
    """``a."b.c" . d`` -> ("a", "b.c", "d") (TOML dotted keys, bare or quoted)."""
    parts: list[str] = []
    for m in re.finditer(r"\s*(\"(?:[^\"\\]|\\.)*\"|'[^']*'|[A-Za-z0-9_\-]+)\s*(?:\.|$)", key):
        tok = m.group(1)
        parts.append(tok[1:-1] if tok[:1] in "\"'" else tok)
    return tuple(parts)


def _key_line(text: str, path: Sequence[str]) -> int | None:
    """The first line of ``text`` that defines ``path`` (a table header or a key), or None."""
    want = tuple(path)
    table: tuple[str, ...] = ()
    for lineno, line in enumerate(text.splitlines(), start=1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        m = re.match(r"^\[\s*([^\[\]]+?)\s*\]", s)
        if m and not s.startswith("[["):
            table = _split_key(m.group(1))
            if table[: len(want)] == want and len(want) >= len(table):
                return lineno
            if table == want:
                return lineno
            continue
        m = re.match(r"^((?:\"(?:[^\"\\]|\\.)*\"|'[^']*'|[A-Za-z0-9_\-.\s])+?)\s*=", s)
        if m:
            full = table + _split_key(m.group(1))
            if full[: len(want)] == want:
                return lineno
    return None


def _check_string_list(value: Any) -> list[str] | None:
    if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
        return [v.strip() for v in value]
    return None


def _required_name(name: str) -> str | None:
    return canonical_category(name)


def _validate(data: dict[str, Any], text: str, source: str) -> dict[str, dict[str, Any]]:
    """Check a parsed rules document; return ``{rule: {option: value}}`` (normalized)."""

    def fail(path: Sequence[str], reason: str) -> RulesFileError:
        return RulesFileError(source, _key_line(text, path), reason)

    out: dict[str, dict[str, Any]] = {}
    for rule, opts in data.items():
        if rule not in _OPTIONS:
            known = "、".join(QUALITY_RULES)
            raise fail([rule], f"未知的规则「{rule}」（可用的规则：{known}）")
        if not isinstance(opts, dict):
            raise fail([rule], f"「{rule}」应写成一个表，例如 [{rule}]")
        clean: dict[str, Any] = {}
        for key, value in opts.items():
            path = [rule, key]
            if key == "enabled":
                if not isinstance(value, bool):
                    raise fail(path, f"「{rule}.enabled」应为 true 或 false")
                clean[key] = value
            elif key == "severity":
                if value not in _SEVERITIES:
                    raise fail(
                        path,
                        f'「{rule}.severity」应为 "error"、"warning" 或 "info"，实际为 {value!r}',
                    )
                clean[key] = value
            elif key in _OPTIONS[rule]:
                words = _check_string_list(value)
                if words is None:
                    raise fail(path, f"「{rule}.{key}」应为非空字符串的列表")
                if key == "required":
                    names: list[str] = []
                    for w in words:
                        canon = _required_name(w)
                        if canon is None:
                            raise fail(
                                path,
                                f"「{rule}.required」中的「{w}」不是已知的指标类别"
                                "（如 产出指标、效益指标、满意度指标、成本指标）",
                            )
                        names.append(canon)
                    words = names
                clean[key] = words
            else:
                allowed = "、".join(["enabled", "severity", *_OPTIONS[rule]])
                raise fail(path, f"规则「{rule}」没有选项「{key}」（可用：{allowed}）")
        out[rule] = clean
    return out


def _dedupe(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _build(merged: dict[str, dict[str, Any]], source: str | None) -> AuditRules:
    settings = {}
    for rule in QUALITY_RULES:
        opts = merged.get(rule, {})
        settings[rule] = RuleSetting(
            enabled=opts.get("enabled", True), severity=opts.get("severity", RULES[rule].severity)
        )
    vague = merged.get(VAGUE, {})
    words = _dedupe([*vague.get("words", []), *vague.get("extra_words", [])])
    required = _dedupe(merged.get(COVERAGE, {}).get("required", []))
    return AuditRules(
        settings=settings, vague_words=words, required_categories=required, source=source
    )


# tomllib's messages, in Chinese (by prefix); anything else is shown as tomllib wrote it.
_TOML_MESSAGES: Final = (
    ("Invalid value", "值无效（字符串要加引号，布尔值写 true / false）"),
    ("Cannot declare", "表重复定义"),
    ("Cannot overwrite", "同一个键重复赋值"),
    ("Expected '=' after a key", "键后面缺少「=」"),
    ("Unterminated string", "字符串缺少结束引号"),
    ("Unclosed array", "列表缺少「]」或元素之间缺少逗号"),
    ("Unclosed inline table", "内联表缺少「}」"),
    ("Expected ']' at the end of a table", "表名缺少「]」"),
    ("Expected newline or end of document", "一行只能写一个键值对"),
    ("Invalid statement", "无法识别的语句"),
)


def _parse_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        detail = re.sub(r"\s*\((at line \d+, column \d+|at end of document)\)", "", str(err))
        for prefix, chinese in _TOML_MESSAGES:
            if detail.startswith(prefix):
                detail = chinese
                break
        raise RulesFileError(
            source, _line_of_toml_error(err, text), f"不是有效的 TOML：{detail}"
        ) from None


def _default_options() -> dict[str, dict[str, Any]]:
    """The defaults as the options a rules file writes (what it does not write stays so)."""
    rules = default_rules()
    out: dict[str, dict[str, Any]] = {
        r: {"enabled": s.enabled, "severity": s.severity} for r, s in rules.settings.items()
    }
    out[VAGUE]["words"] = list(rules.vague_words)
    out[COVERAGE]["required"] = list(rules.required_categories)
    return out


def rules_from_toml(text: str, source: str = "<rules>") -> AuditRules:
    """Rules from TOML text, merged over the defaults (only the options written change)."""
    user = _validate(_parse_toml(text, source), text, source)
    merged = {rule: dict(opts) for rule, opts in _default_options().items()}
    for rule, opts in user.items():
        merged.setdefault(rule, {}).update(opts)
    return _build(merged, source)


def load_rules(path: Path | None) -> AuditRules:
    """The defaults (``path`` None) or a rules file merged over them.

    Raises :class:`RulesFileError` (a :class:`~perfsheet.errors.PerfsheetError`) with the file
    and line for unreadable files, bad TOML, unknown rule ids, bad severities or option types.
    """
    if path is None:
        return default_rules()
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as err:
        raise RulesFileError(source, None, f"无法读取（{err.strerror or err}）") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise RulesFileError(source, line, "不是 UTF-8 编码的文本") from None
    return rules_from_toml(text, source)


def find_rules_file(workbook_path: Path | None, home: Path | None = None) -> Path | None:
    """``perfsheet.rules.toml`` next to the workbook, else in the user's home, else None
    (:func:`perfsheet.io.user_files.find_user_file`)."""
    return find_user_file(RULES_FILE_NAME, workbook_path, home)


def resolve_rules(rules: AuditRules | str | os.PathLike[str] | None) -> AuditRules:
    """A loaded rules model as it is; a rules file loaded (a bad one raises
    :class:`~perfsheet.io.rules_file.RulesFileError`, naming the file and line); None: the
    defaults."""
    if rules is None:
        return default_rules()
    if isinstance(rules, str | os.PathLike):
        return load_rules(Path(rules))
    return rules
