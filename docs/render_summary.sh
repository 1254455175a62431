#!/usr/bin/env bash
# Re-render docs/summary.png (the 项目汇总 sheet of the example's summary, as in the README):
# perfsheet summary -> LibreOffice headless PDF (one page per sheet) -> pdftoppm PNG, cropped
# to the table and the indicator-mix chart. Needs soffice, pdftoppm (poppler-utils) and a CJK
# font (e.g. fonts-wqy-microhei).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
PYTHONPATH=src python3 -m perfsheet summary examples/广州市协作办公室_项目支出绩效目标表.xlsx \
    -o "$tmp/summary.xlsx" --no-source >/dev/null
soffice --headless "-env:UserInstallation=file://$tmp/profile" \
    --convert-to 'pdf:calc_pdf_Export:{"SinglePageSheets":{"type":"boolean","value":"true"}}' \
    --outdir "$tmp" "$tmp/summary.xlsx" >/dev/null
# page 2 is 项目汇总 (sheet order: 绩效指标明细, 项目汇总, 校验结果, 说明)
pdftoppm -png -r 60 -f 2 -l 2 -x 0 -y 0 -W 1960 -H 330 -singlefile "$tmp/summary.pdf" "$tmp/page"
cp "$tmp/page.png" docs/summary.png
echo "wrote docs/summary.png"
