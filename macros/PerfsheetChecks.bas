Attribute VB_Name = "PerfsheetChecks"
' perfsheet add-in: what must hold before a button calls Python. ActionProblem gives
' one sentence that says what to do (texts in the generated PerfsheetStrings), or ""
' when the action can go ahead. The workbook and sheet come in as arguments, so the
' tests can pass Nothing for "no workbook open", which LibreOffice cannot produce.
Option Explicit
Option Private Module

Public Function ActionName(ByVal buttonTag As String) As String
    ' "convert:folder" -> "convert"
    Dim colon As Long
    colon = InStr(buttonTag, ":")
    If colon > 0 Then
        ActionName = Left$(buttonTag, colon - 1)
    Else
        ActionName = buttonTag
    End If
End Function

Public Function IsFolderTag(ByVal buttonTag As String) As Boolean
    IsFolderTag = (Right$(buttonTag, 7) = ":folder")
End Function

Public Function ActionProblem(ByVal buttonTag As String, ByVal book As Object, ByVal sheet As Object) As String
    Dim action As String
    action = ActionName(buttonTag)
    If book Is Nothing Then
        ' No workbook open, or only Protected View windows (ActiveWorkbook is Nothing then).
        ' RunPython needs the active workbook for every action, even a folder action.
        ActionProblem = Say("no_workbook", action)
    ElseIf IsFolderTag(buttonTag) Or action = "template" Then
        ' A folder action converts the files in the chosen folder, and "template" writes a
        ' file next to the workbook: both leave this workbook alone.
        ActionProblem = ""
    ElseIf sheet Is Nothing Then
        ActionProblem = Say("not_worksheet", action)
    ElseIf TypeName(sheet) <> "Worksheet" Then
        ActionProblem = Say("not_worksheet", action)
    ElseIf sheet.ProtectContents Then
        ActionProblem = Replace(Say("sheet_protected", action), "{sheet}", sheet.Name)
    ElseIf action <> "parse" Then
        ' parse writes cells of the active sheet only; the other actions add sheets.
        If book.ProtectStructure Then ActionProblem = Say("book_protected", action)
    End If
End Function

Public Function ActiveBook() As Object
    ' ActiveWorkbook, or Nothing.
    On Error Resume Next
    Set ActiveBook = ActiveWorkbook
End Function

Public Function ActiveSheetOrNothing() As Object
    On Error Resume Next
    Set ActiveSheetOrNothing = ActiveSheet
End Function
