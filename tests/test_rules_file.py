"""The TOML rules file: defaults, overrides, and errors that name the line."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import pytest

from audit_helpers import complete, ind, qt
from perfsheet.core.audit import QUALITY_RULES, audit_indicators, default_rules
from perfsheet.errors import PerfsheetError
from perfsheet.io.rules_file import RULES_FILE_NAME, RulesFileError, find_rules_file, load_rules


def write(tmp_path: Path, text: str, name: str = "rules.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def rule_ids(findings) -> list[str]:
    return [f.rule for f in findings]


VAGUE_PROJECT = complete(ind(0, "22", "园区知名度", "稳步推进"), ind(0, "22", "社会影响力", "提升"))


def test_load_none_is_the_shipped_defaults():
    shipped = resources.files("perfsheet.io") / "default_rules.toml"
    data = tomllib.loads(shipped.read_text("utf-8"))
    assert set(data) == set(QUALITY_RULES)
    rules = load_rules(None)
    assert rules == default_rules()
    # the commented copy users read says exactly what the defaults are
    as_file = load_rules(Path(str(shipped)))
    assert as_file.model_copy(update={"source": None}) == rules
    assert rules.source is None
    assert tuple(data["indicator-vague"]["words"]) == rules.vague_words
    assert {"提升", "有所提升", "正向提升", "提高", "逐步完善"} <= set(rules.vague_words)


def test_disable_a_rule(tmp_path):
    rules = load_rules(write(tmp_path, "[indicator-vague]\nenabled = false\n"))
    assert not rules.enabled("indicator-vague")
    assert rules.enabled("indicator-unit")
    assert "indicator-vague" in rule_ids(audit_indicators(VAGUE_PROJECT))
    assert "indicator-vague" not in rule_ids(audit_indicators(VAGUE_PROJECT, rules))


def test_change_a_severity(tmp_path):
    path = write(tmp_path, '# 更严格\n[indicator-unit]\nseverity = "error"\n')
    rules = load_rules(path)
    assert rules.source == str(path)
    found = audit_indicators(complete(ind(0, "11", "培训期数", qt("≥", 5, None))), rules)
    assert [(f.rule, f.severity) for f in found] == [("indicator-unit", "error")]
    # untouched options keep their defaults
    assert rules.enabled("indicator-unit")
    assert rules.severity("indicator-period") == "info"
    assert rules.vague_words == default_rules().vague_words


def test_dotted_keys_work_too(tmp_path):
    rules = load_rules(write(tmp_path, 'indicator-legacy.severity = "warning"\n'))
    assert rules.severity("indicator-legacy") == "warning"


def test_extend_the_vague_words(tmp_path):
    default_found = audit_indicators(VAGUE_PROJECT)
    assert [f.indicator for f in default_found if f.rule == "indicator-vague"] == [7]
    rules = load_rules(write(tmp_path, '[indicator-vague]\nextra_words = ["稳步推进"]\n'))
    assert rules.vague_words[-1] == "稳步推进"
    assert set(default_rules().vague_words) < set(rules.vague_words)
    found = [f for f in audit_indicators(VAGUE_PROJECT, rules) if f.rule == "indicator-vague"]
    assert [f.indicator for f in found] == [6, 7]
    assert "含「稳步推进」" in found[0].message


def test_replace_the_vague_words(tmp_path):
    rules = load_rules(write(tmp_path, '[indicator-vague]\nwords = ["稳步推进"]\n'))
    assert rules.vague_words == ("稳步推进",)
    found = [f for f in audit_indicators(VAGUE_PROJECT, rules) if f.rule == "indicator-vague"]
    assert [f.indicator for f in found] == [6]


def test_required_categories(tmp_path):
    rules = load_rules(
        write(tmp_path, '[indicator-coverage]\nrequired = ["产出指标", "成本", "服务对象满意度"]\n')
    )
    assert rules.required_categories == ("产出指标", "成本指标", "服务对象满意度指标")
    found = audit_indicators(complete(), rules)
    assert [(f.rule, f.expected) for f in found] == [("indicator-coverage", "成本指标")]


def test_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes("\ufeff[indicator-period]\nenabled = false\n".encode())
    assert not load_rules(path).enabled("indicator-period")


# ------------------------------------------------------------------------------------------
# Invalid files: a PerfsheetError naming the file and the line
# ------------------------------------------------------------------------------------------

BAD_FILES = [
    # (text, line, words the message must contain)
    ("[indicator-vague]\nenabled = tru\n", 2, ["不是有效的 TOML"]),
    ('[indicator-vague]\nwords = ["提升",\n', 2, ["不是有效的 TOML"]),
    ("[indicator-unit]\nenabled = true\n[indicator-unit]\n", 3, ["不是有效的 TOML"]),
    ("# c\n\n[indicator-vauge]\nenabled = false\n", 3, ["未知的规则「indicator-vauge」"]),
    ("[indicator-unit]\nenabled = false\n\n[amount-total]\n", 4, ["未知的规则「amount-total」"]),
    ('[indicator-unit]\n# 级别\nseverity = "fatal"\n', 3, ["severity", "'fatal'"]),
    ("[indicator-unit]\nseverity = 2\n", 2, ["severity"]),
    ('[indicator-period]\nenabled = "yes"\n', 2, ["enabled", "true 或 false"]),
    ('[indicator-vague]\nenabled = true\nwords = "提升"\n', 3, ["words", "字符串的列表"]),
    ('[indicator-vague]\nextra_words = [\n  "推进",\n  3,\n]\n', 2, ["extra_words"]),
    (
        '[indicator-coverage]\nrequired = ["产出指标", "绩效指标"]\n',
        2,
        ["「绩效指标」不是已知的指标类别"],
    ),
    ("[indicator-duplicate]\nenable = false\n", 2, ["没有选项「enable」"]),
    ('indicator-misfiled = "off"\n', 1, ["应写成一个表"]),
    ('[indicator-unit]\nenabled = true\n\n"indicator-legacy".severity = "loud"\n', 4, ["severity"]),
]


@pytest.mark.parametrize(("text", "line", "words"), BAD_FILES)
def test_invalid_files_name_the_line(tmp_path, text, line, words):
    path = write(tmp_path, text, "bad.rules.toml")
    with pytest.raises(RulesFileError) as info:
        load_rules(path)
    err = info.value
    assert isinstance(err, PerfsheetError) and err.exit_code == 2
    assert err.line == line
    message = str(err)
    assert message.startswith(f"规则文件 {path} 第 {line} 行：")
    assert "\n" not in message
    for w in words:
        assert w in message


def test_missing_and_undecodable_files(tmp_path):
    with pytest.raises(RulesFileError) as info:
        load_rules(tmp_path / "nope.toml")
    assert info.value.line is None and "无法读取" in str(info.value)
    path = tmp_path / "gbk.toml"
    path.write_bytes('# ok\n[indicator-vague]\nextra_words = ["推进"]\n'.encode("gbk"))
    with pytest.raises(RulesFileError) as info:
        load_rules(path)
    assert info.value.line == 3 and "UTF-8" in str(info.value)


# ------------------------------------------------------------------------------------------
# find_rules_file: next to the workbook, else in the home directory
# ------------------------------------------------------------------------------------------


def test_find_rules_file(tmp_path):
    book_dir = tmp_path / "books"
    home = tmp_path / "home"
    book_dir.mkdir()
    home.mkdir()
    book = book_dir / "表.xlsx"
    book.write_bytes(b"")
    assert find_rules_file(book, home=home) is None
    write(home, "", RULES_FILE_NAME)
    assert find_rules_file(book, home=home) == home / RULES_FILE_NAME
    assert find_rules_file(None, home=home) == home / RULES_FILE_NAME
    write(book_dir, "", RULES_FILE_NAME)
    assert find_rules_file(book, home=home) == book_dir / RULES_FILE_NAME
    # the found file loads (an empty file = the defaults)
    assert load_rules(find_rules_file(book, home=home)).settings == default_rules().settings
