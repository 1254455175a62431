Attribute VB_Name = "PerfsheetText"
' perfsheet add-in: text helpers with no platform-specific code (LibreOffice runs
' them in the tests). The modules are stored in code page 1252, so Chinese text is
' spelled as UTF-16 code units: ChrW here, Utf16Text in the generated PerfsheetStrings
' (perfsheet/excel/addin_vba.py writes it from Python, where the texts are readable).
' Utf16Hex hands a path to Python unchanged (decoded by perfsheet.excel.ribbon.decode_folder).
' ShowMessage is the one way a message reaches the user.
Option Explicit
Option Private Module

' The last message shown and how many were shown (read by the tests).
Public LastMessage As String
Public MessageCount As Long

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

Public Function Utf16Text(ByVal hexUnits As String) As String
    ' The inverse of Utf16Hex: "0043003A" -> "C:".
    Dim i As Long
    Dim out As String
    For i = 1 To Len(hexUnits) - 3 Step 4
        out = out & ChrW(CLng("&H0000" & Mid$(hexUnits, i, 4)))
    Next i
    Utf16Text = out
End Function

Public Function Say(ByVal key As String, ByVal action As String) As String
    ' A text of PerfsheetStrings with the button's label in place of {label}.
    Say = Replace(UiText(key), "{label}", ActionLabel(action))
End Function

Public Sub ShowMessage(ByVal text As String, Optional ByVal icon As Long = 48)
    ' One message box titled with the tab's name (icon 48: vbExclamation, written as a
    ' number because LibreOffice takes no constant as a default value). Never raises.
    On Error Resume Next
    LastMessage = text
    MessageCount = MessageCount + 1
    MsgBox text, icon, UiText("title")
End Sub

Public Sub ShowFailure(ByVal action As String, ByVal number As Long, ByVal description As String)
    ' The message of an error nobody foresaw, from an entry point's handler. Never raises.
    Dim text As String
    On Error Resume Next
    text = Replace(Say("failed", action), "{error}", Trim$(description) & _
        Replace(UiText("error_number"), "{number}", CStr(number)))
    If Len(text) = 0 Then text = "perfsheet: " & description & " (" & number & ")"
    ShowMessage text, vbCritical
End Sub
