"""Writing VBA projects without Excel: [MS-OVBA] compression and streams, [MS-CFB] container.

Pure Python, no third-party code; used by :mod:`perfsheet.excel.addin` to build the
``vbaProject.bin`` of ``perfsheet.xlam`` on any OS.
"""

from perfsheet.excel.vba.cfb import Storage, write_compound_file
from perfsheet.excel.vba.compression import CompressionError, compress, decompress
from perfsheet.excel.vba.project import (
    OFFICE,
    STDOLE,
    Module,
    Reference,
    build_vba_project,
    document_module,
    module_from_bas,
    module_from_cls,
)

__all__ = [
    "OFFICE",
    "STDOLE",
    "CompressionError",
    "Module",
    "Reference",
    "Storage",
    "build_vba_project",
    "compress",
    "decompress",
    "document_module",
    "module_from_bas",
    "module_from_cls",
    "write_compound_file",
]
