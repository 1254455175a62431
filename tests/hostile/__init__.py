"""Hostile and broken inputs, generated at test time (the repository holds no junk files).

- :mod:`hostile.builders` writes one malformed workbook of each kind (bombs, broken structures,
  odd cell contents), byte by byte where openpyxl would refuse;
- :mod:`hostile.corpus` mutates valid workbooks into a corpus of malformed files (truncations,
  byte flips, XML and BIFF mutations, sector-chain edits);
- :mod:`hostile.run_corpus` reads a list of files in a separate process and reports, per file,
  what happened (so a hard crash of a native reader is caught and attributed to its file).
"""
