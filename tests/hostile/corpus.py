"""A corpus of malformed workbooks, generated from valid ones by seeded mutations.

Each file comes from one base workbook (.xlsx or .xls) and one mutation, chosen from the seed,
so a failing file can be rebuilt from its name. Mutations hit every layer a reader goes through:

- bytes: truncation, random byte flips anywhere;
- zip (.xlsx): a member dropped, duplicated, cut, or replaced by a mutated copy;
- XML: bytes flipped, slices cut or repeated, hostile fragments inserted at a tag boundary
  (far cells, cells without address, error values, uncached formulas, DTDs and entities,
  absurd merges, namespace prefixes, bad shared-string indexes), attribute values replaced;
- compound file (.xls): header fields, FAT entries and DIFAT entries set to edge values
  (0, self, the last sector, past the end, the special markers), BIFF cell coordinates moved,
  bytes of the streams flipped.
"""

from __future__ import annotations

import io
import random
import re
import struct
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

XML_SNIPPETS = [
    '<c r="XFD1048576"><v>1</v></c>',
    '<c r="A1048576"><v>1</v></c>',
    '<c r="Z200000"><v>1</v></c>',
    '<c r="B2" t="e"><v>#REF!</v></c>',
    '<c r="C3"><f>SUM(A1:A2)</f></c>',
    '<c r="C4"><f>1/0</f><v/></c>',
    '<c r="D4" t="str"><f>""</f><v></v></c>',
    "<c><v>1</v></c>" * 50,
    '<c r="A0"><v>1</v></c>',
    '<c r="ZZZZ1"><v>1</v></c>',
    '<c r="$A$1"><v>1</v></c>',
    '<c r="A1" r="XFD1"><v>1</v></c>',
    '<c s="1" r="XFD9"><v>2</v></c>',
    '<c a b="1" r="XFD9"><v>2</v></c>',
    '<x:c r="B2"><x:v>7</x:v></x:c>',
    '<c r="B2" t="s"><v>99999999</v></c>',
    '<c r="B2" t="s"><v>-1</v></c>',
    '<c r="B2" t="n"><v>1e400</v></c>',
    '<c r="B2" t="n"><v>nan</v></c>',
    '<c r="B2" t="d"><v>9999-99-99</v></c>',
    '<c r="B2" t="b"><v>2</v></c>',
    '<row r="0"><c r="A1"><v>1</v></c></row>',
    '<row r="99999999"><c><v>1</v></c></row>',
    "<row>" + "<c><v>1</v></c>" * 200 + "</row>",
    '<mergeCell ref="A1:XFD1048576"/>',
    '<mergeCell ref="B2:A1"/>',
    '<!DOCTYPE x [<!ENTITY a "b">]>',
    "&a;",
    "&#0;",
    "&#xD800;",
    "<![CDATA[<c r='XFD1'><v>1</v></c>]]>",
    "<!-- <c r='XFD1'><v>1</v></c> -->",
    "<?pi x?>",
    "<is><t>文字</t></is>",
    "\x00",
    "\ufeff",
    "项目名称",
    "合计",
    "</sheetData>",
    "<sheetData>",
]

ATTR_VALUES = [
    "",
    "0",
    "-1",
    "4000000000",
    "99999999999999999999",
    "XFD1048576",
    "A1:XFD1048576",
    "e",
    "s",
    "str",
    "inlineStr",
    "rId999",
    "../../../../etc/passwd",
    "/xl/worksheets/sheet1.xml",
    "表1",
]

EDGE_U32 = [0, 1, 2, 3, 8, 0xFFFFFFFA, 0xFFFFFFFC, 0xFFFFFFFD, 0xFFFFFFFE, 0xFFFFFFFF, 0x7FFFFFFF]


@dataclass(frozen=True)
class Base:
    name: str
    data: bytes

    @property
    def is_zip(self) -> bool:
        return self.data[:2] == b"PK"


def _rezip(
    data: bytes, change: Callable[[list[tuple[str, bytes]]], list[tuple[str, bytes]]]
) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    members = [(i.filename, src.read(i)) for i in src.infolist()]
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # duplicate names are the point
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for name, body in change(members):
                z.writestr(name, body)
    return out.getvalue()


def _pick_xml(members: list[tuple[str, bytes]], rng: random.Random) -> int:
    weights = []
    for name, _ in members:
        w = 1
        if "worksheets/" in name:
            w = 8
        elif name.endswith(("sharedStrings.xml", "workbook.xml")):
            w = 4
        elif name.endswith(".rels") or "Content_Types" in name:
            w = 2
        weights.append(w)
    return rng.choices(range(len(members)), weights=weights)[0]


def _flip(data: bytes, rng: random.Random, n: int, start: int = 0) -> bytes:
    out = bytearray(data)
    for _ in range(n):
        if len(out) <= start:
            break
        pos = rng.randrange(start, len(out))
        out[pos] = rng.randrange(256)
    return bytes(out)


def _xml_mutation(body: bytes, rng: random.Random) -> bytes:
    op = rng.choice(["flip", "cut", "dup", "insert", "insert", "insert", "attr", "attr"])
    if not body:
        return b"<x/>"
    if op == "flip":
        return _flip(body, rng, rng.randint(1, 8))
    a = rng.randrange(len(body))
    b = min(len(body), a + rng.randint(1, 400))
    if op == "cut":
        return body[:a] + body[b:]
    if op == "dup":
        return body[:b] + body[a:b] * rng.randint(1, 50) + body[b:]
    if op == "insert":
        tags = [m.start() for m in re.finditer(rb"<", body)] or [0]
        at = rng.choice(tags)
        snippet = rng.choice(XML_SNIPPETS).encode()
        return body[:at] + snippet * rng.choice([1, 1, 1, 3, 100]) + body[at:]
    attrs = list(re.finditer(rb'=\s*"([^"]*)"', body))
    if not attrs:
        return _flip(body, rng, 2)
    m = rng.choice(attrs)
    value = rng.choice(ATTR_VALUES).encode()
    return body[: m.start(1)] + value + body[m.end(1) :]


def mutate_zip(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    op = rng.choice(["truncate", "flip", "xml", "xml", "xml", "xml", "drop", "duplicate", "cut"])
    if op == "truncate":
        return op, data[: rng.randrange(len(data))]
    if op == "flip":
        return op, _flip(data, rng, rng.randint(1, 20))

    def change(members: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
        i = _pick_xml(members, rng)
        name, body = members[i]
        if op == "drop":
            return members[:i] + members[i + 1 :]
        if op == "duplicate":
            return [*members, (name, _xml_mutation(body, rng))]
        if op == "cut":
            return [*members[:i], (name, body[: rng.randrange(len(body) + 1)]), *members[i + 1 :]]
        mutated = body
        for _ in range(rng.choice([1, 1, 2, 3])):
            mutated = _xml_mutation(mutated, rng)
        return [*members[:i], (name, mutated), *members[i + 1 :]]

    try:
        return op, _rezip(data, change)
    except (zipfile.BadZipFile, ValueError):  # pragma: no cover - bases are valid zips
        return "flip", _flip(data, rng, 5)


def _cell_records(data: bytes) -> list[int]:
    out = []
    for typ in (b"\x7e\x02", b"\xbd\x00", b"\x03\x02", b"\xfd\x00", b"\x04\x02", b"\x06\x00"):
        out.extend(m.start() for m in re.finditer(re.escape(typ), data))
    return out


def mutate_cfb(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    op = rng.choice(
        ["truncate", "flip", "header", "header", "fat", "fat", "difat", "stream", "cell"]
    )
    out = bytearray(data)
    n_sectors = max(1, len(data) // 512 - 1)
    edge = [*EDGE_U32, n_sectors - 1, n_sectors, n_sectors + 1, rng.randrange(1 << 32)]
    if op == "truncate":
        return op, data[: rng.randrange(len(data))]
    if op == "flip":
        return op, _flip(data, rng, rng.randint(1, 20))
    if op == "header":
        offset = rng.choice([28, 30, 32, 44, 48, 52, 56, 60, 64, 68, 72])
        if offset in (28, 30, 32):
            struct.pack_into("<H", out, offset, rng.choice([0, 9, 12, 6, 0xFFFF, 7]))
        else:
            struct.pack_into("<I", out, offset, rng.choice(edge))
        return op, bytes(out)
    if op in ("fat", "difat"):
        if op == "difat":
            pos = 76 + 4 * rng.randrange(109)
        else:
            fat = 512 + struct.unpack_from("<I", data, 76)[0] * 512
            if fat + 512 > len(data):
                return "flip", _flip(data, rng, 5)
            pos = fat + 4 * rng.randrange(128)
        sector = (pos - 512) // 512 if pos >= 512 else 0
        struct.pack_into("<I", out, pos, rng.choice([*edge, sector]))
        return op, bytes(out)
    if op == "cell":
        records = _cell_records(data)
        if not records:
            return "flip", _flip(data, rng, 5)
        pos = rng.choice(records)
        if pos + 8 <= len(out):
            row = rng.choice([0, 1, 255, 256, 65535, rng.randrange(65536)])
            col = rng.choice([0, 1, 255, 256, 16383, 16384, 65535, rng.randrange(65536)])
            struct.pack_into("<HH", out, pos + 4, row, col)
        return op, bytes(out)
    return op, _flip(data, rng, rng.randint(1, 30), start=512)


def build_corpus(bases: list[Base], out_dir: Path, count: int, seed: int = 8) -> list[Path]:
    """``count`` malformed files in ``out_dir``, named ``<n>_<base>_<mutation>.<ext>``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        rng = random.Random(seed * 1_000_003 + n)
        base = bases[n % len(bases)]
        if base.is_zip:
            op, data = mutate_zip(base.data, rng)
            ext = rng.choice([".xlsx", ".xlsx", ".xlsm", ".xls"])
        else:
            op, data = mutate_cfb(base.data, rng)
            ext = rng.choice([".xls", ".xls", ".xlsx"])
        path = out_dir / f"{n:05d}_{base.name}_{op}{ext}"
        path.write_bytes(data)
        paths.append(path)
    return paths
