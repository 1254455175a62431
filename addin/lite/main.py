# perfsheet 的 xlwings Lite 入口：把本文件的内容作为工作簿的 main.py（说明见 docs/excel-lite.md）。
#
# 工作表函数：=PERF_PARSE、=PERF_FIELD、=PERF_COUNT、=PERF_TARGET、=PERF_CLEAN、=PERF_ISSUES
# 任务窗格中的脚本：解析指标、校验合计、生成汇总、批量转换、导出模板
# （后两个要访问本机文件夹：浏览器中只给出说明）
#
# 这两行只加载 perfsheet 的 Excel 部分，不加载命令行部分（typer、rich 等），
# 也不加载读写文件的库（openpyxl、python-calamine、XlsxWriter）。
# 需要自己的函数或脚本时，写在这两行下面即可。
from perfsheet.excel.functions import *  # noqa: F403
from perfsheet.excel.scripts import *  # noqa: F403
