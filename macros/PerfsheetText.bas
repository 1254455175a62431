Attribute VB_Name = "PerfsheetText"
' perfsheet add-in: text helpers with no platform-specific code (LibreOffice runs
' them in the tests): Chinese UI strings spelled with ChrW (the file stays cp1252),
' and the encoding that hands a path to Python unchanged
' (decoded by perfsheet.excel.ribbon.decode_folder).
Option Explicit

Public Function FolderPickerTitle() As String
    ' "Select the folder to convert", in Chinese (the file stays cp1252)
    FolderPickerTitle = ChrW(&H9009) & ChrW(&H62E9) & ChrW(&H8981) & ChrW(&H6279) & _
        ChrW(&H91CF) & ChrW(&H8F6C) & ChrW(&H6362) & ChrW(&H7684) & ChrW(&H6587) & _
        ChrW(&H4EF6) & ChrW(&H5939)
End Function

Public Function Utf16Hex(ByVal text As String) As String
    ' Four hex digits per UTF-16 code unit, e.g. "C:" -> "0043003A".
    Dim i As Long
    Dim unit As Long
    Dim out As String
    For i = 1 To Len(text)
        unit = AscW(Mid$(text, i, 1)) And &HFFFF&
        out = out & Right$("000" & Hex$(unit), 4)
    Next i
    Utf16Hex = out
End Function
