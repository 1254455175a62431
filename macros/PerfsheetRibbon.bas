Attribute VB_Name = "PerfsheetRibbon"
' perfsheet add-in: the entry points of the perfsheet tab, the only module Excel calls
' into (every other module has Option Private Module).
' Every button calls PerfsheetOnAction; the button's tag (see addin/customUI.xml) names
' the Python action, so adding a button is a change to the ribbon XML only
' (perfsheet/excel/ribbon.py: ACTIONS). A tag ending in ":folder" first asks for a
' folder (PerfsheetFolder.PickFolder) and passes it to Python as UTF-16 hex, so any
' path survives the command line.
' Every entry point has an error handler: any error ends in one message box in Chinese,
' never in the debugger. Before Python runs, PerfsheetChecks.ActionProblem makes sure
' there is a workbook and an unprotected worksheet to work on.
Option Explicit

Public Sub PerfsheetOnAction(control As IRibbonControl)
    On Error GoTo Failed
    PerfsheetAction control.Tag
    Exit Sub
Failed:
    ShowFailure "", Err.Number, Err.Description
End Sub

Public Sub PerfsheetAction(ByVal buttonTag As String)
    ' The action of a button, by its tag.
    Dim problem As String
    Dim folder As String
    On Error GoTo Failed
    problem = ActionProblem(buttonTag, ActiveBook(), ActiveSheetOrNothing())
    If Len(problem) > 0 Then
        ShowMessage problem
        Exit Sub
    End If
    If IsFolderTag(buttonTag) Then
        folder = PickFolder()
        If Len(folder) = 0 Then Exit Sub
        RunPython "import perfsheet.excel.ribbon as r; r.run('" & buttonTag & _
            "', folder_hex='" & Utf16Hex(folder) & "')"
    Else
        RunPython "import perfsheet.excel.ribbon as r; r.run('" & buttonTag & "')"
    End If
    Exit Sub
Failed:
    ShowFailure ActionName(buttonTag), Err.Number, Err.Description
End Sub
