Attribute VB_Name = "PerfsheetRibbon"
' perfsheet add-in: the one ribbon callback of every button on the perfsheet tab.
' The button's tag (see addin/customUI.xml) names the Python action, so adding a
' button is a change to the ribbon XML only (perfsheet/excel/ribbon.py: ACTIONS).
' A tag ending in ":folder" first asks for a folder (PerfsheetFolder.PickFolder) and
' passes it to Python as UTF-16 hex, so any path survives the command line.
Option Explicit

Public Sub PerfsheetOnAction(control As IRibbonControl)
    Dim buttonTag As String
    Dim folder As String
    buttonTag = control.Tag
    If Right$(buttonTag, 7) = ":folder" Then
        folder = PickFolder()
        If Len(folder) = 0 Then Exit Sub
        RunPython "import perfsheet.excel.ribbon as r; r.run('" & buttonTag & _
            "', folder_hex='" & Utf16Hex(folder) & "')"
    Else
        RunPython "import perfsheet.excel.ribbon as r; r.run('" & buttonTag & "')"
    End If
End Sub
