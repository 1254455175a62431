Attribute VB_Name = "PerfsheetFolder"
' perfsheet add-in: the folder picker of the batch conversion button, and the
' encoding that hands the chosen path to Python unchanged
' (decoded by perfsheet.excel.ribbon.decode_folder).
Option Explicit

Private Const FOLDER_PICKER As Long = 4 ' msoFileDialogFolderPicker

Private Function PickerTitle() As String
    ' "Select the folder to convert", in Chinese (the file stays cp1252)
    PickerTitle = ChrW(&H9009) & ChrW(&H62E9) & ChrW(&H8981) & ChrW(&H6279) & _
        ChrW(&H91CF) & ChrW(&H8F6C) & ChrW(&H6362) & ChrW(&H7684) & ChrW(&H6587) & _
        ChrW(&H4EF6) & ChrW(&H5939)
End Function

Public Function PickFolder() As String
    Dim chosen As String
#If Mac Then
    On Error Resume Next
    chosen = MacScript("POSIX path of (choose folder with prompt """ & PickerTitle() & """)")
    If Err.Number <> 0 Then
        Err.Clear
        chosen = MacScript("POSIX path of (choose folder)")
    End If
    On Error GoTo 0
    If Len(chosen) > 1 And Right$(chosen, 1) = "/" Then chosen = Left$(chosen, Len(chosen) - 1)
#Else
    With Application.FileDialog(FOLDER_PICKER)
        .Title = PickerTitle()
        .AllowMultiSelect = False
        If .Show = -1 Then chosen = .SelectedItems(1)
    End With
#End If
    PickFolder = chosen
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
