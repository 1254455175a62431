"""Text normalization for cell text from PDF conversions and budget-system exports.

``clean_text`` is the one normalization every parser runs first. Decisions:

- HTML tags are **removed without inserting any character**: page-break fragments are joined
  before parsing and a tag may sit in the middle of a word (``效益指</p>`` + ``<p>标`` must become
  ``效益指标``). Only real HTML tag names are recognised (``p``, ``span``, ``div``, ``font``,
  ``o:p``…), so a value such as ``<5%`` or ``a<b`` is never eaten. The one exception is ``<br>``:
  it *is* a line break by definition and becomes ``\\n`` (the same as an Alt+Enter break).
- Entities are decoded after the tags are removed (``&lt;p&gt;`` stays visible text ``<p>``):
  ``&nbsp; &amp; &lt; &#12290;``… via :func:`html.unescape`.
- Line breaks: ``\\r\\n``, ``\\r``, the OOXML escape ``_x000D_``, U+2028/U+2029, vertical tab
  (Word's manual line break) all become ``\\n``. Newlines are *kept*: for the indicator parser
  they are item boundaries (also between unnumbered items); inside a field it turns each into
  one space, never deleting it (two lines are never joined without a separator).
- Spaces: NBSP, the full-width space U+3000 and the other Unicode spaces become ``' '``;
  zero-width characters and the BOM are removed.
- Full-width digits ``０-９`` become ASCII. Other full-width characters (``％ ＞ ＝ ； ：``) are
  left as written: the target parser understands them and values stay "as written".
- Leading and trailing whitespace is stripped.

Everything is ``str.replace`` driven by one compiled character-class search, plus two compiled
regexes that only run when the text contains ``<`` or ``&``.
"""

from __future__ import annotations

import html
import re

__all__ = [
    "WIDTH_TABLE",
    "clean_text",
    "has_markup",
    "normalize_chars",
    "strip_html",
]

# Known HTML (and MS-Office HTML) tag names. ``br`` is handled separately.
_TAG_NAMES = (
    "p|div|span|font|b|i|u|s|em|strong|small|big|sub|sup|strike|center|pre|code|"
    "a|img|hr|li|ul|ol|dl|dt|dd|table|thead|tbody|tfoot|tr|td|th|col|colgroup|caption|"
    "h[1-6]|blockquote|section|article|header|footer|label|html|body|head|meta|title|"
    "o:p|w:[a-z]+|v:[a-z]+|st1:[a-z]+|nobr|wbr|ins|del|mark|abbr|cite|q|tt|kbd|var"
)
_TAG_RE = re.compile(
    rf"<!--.*?-->|</?(?:{_TAG_NAMES})(?:\s[^<>]*)?\s*/?>",
    re.IGNORECASE | re.DOTALL,
)
_BR_RE = re.compile(r"<\s*/?\s*br\s*/?\s*>|<br\s[^<>]*>", re.IGNORECASE)

_SPACES = "\u00a0\u202f\u205f\u3000" + "".join(chr(c) for c in range(0x2000, 0x200B))
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_BREAKS = "\r\u2028\u2029\x0b\x0c\x85"

#: Translation table: spaces -> ' ', zero-width -> removed, breaks -> '\n', ０-９ -> 0-9.
WIDTH_TABLE: dict[int, str | None] = {}
WIDTH_TABLE.update({ord(c): " " for c in _SPACES})
WIDTH_TABLE.update({ord(c): None for c in _ZERO_WIDTH})
WIDTH_TABLE.update({ord(c): "\n" for c in _BREAKS})
WIDTH_TABLE.update({0xFF10 + i: str(i) for i in range(10)})


_REPLACE: dict[str, str] = {chr(k): (v or "") for k, v in WIDTH_TABLE.items()}
# str.translate with a dict is a per-character lookup (~60 ns/char on CJK text): find the few
# characters that need replacing first, then str.replace each of them.
_NEEDS_RE = re.compile("[" + re.escape("".join(_REPLACE)) + "]")


def _translate(s: str) -> str:
    found = _NEEDS_RE.findall(s)
    if not found:
        return s
    for c in set(found):
        s = s.replace(c, _REPLACE[c])
    return s


def has_markup(s: str) -> bool:
    """True when ``s`` may contain HTML tags or entities."""
    return "<" in s or "&" in s


def strip_html(s: str) -> str:
    """Remove HTML tags (``<br>`` -> ``\\n``) and decode entities; inserts nothing else."""
    if "<" in s:
        if "br" in s or "BR" in s or "Br" in s:
            s = _BR_RE.sub("\n", s)
        s = _TAG_RE.sub("", s)
    if "&" in s:
        s = html.unescape(s)
    return s


def normalize_chars(s: str) -> str:
    """Spaces, zero-width characters, line breaks and full-width digits (no HTML handling)."""
    if "\r\n" in s:
        s = s.replace("\r\n", "\n")
    if "_x000" in s:
        s = s.replace("_x000D_", "\n").replace("_x000d_", "\n")
    return _translate(s)


def clean_text(s: str | None) -> str:
    """Cleaned cell text: HTML removed, entities decoded, spaces/breaks/digits normalized.

    ``None`` gives ``""``. Never raises on any ``str``.
    """
    if not s:
        return ""
    if not isinstance(s, str):
        s = str(s)
    if "<" in s or "&" in s:
        s = strip_html(s)
    if "\r\n" in s:
        s = s.replace("\r\n", "\n")
    if "_x000" in s:
        s = s.replace("_x000D_", "\n").replace("_x000d_", "\n")
    return _translate(s).strip()
