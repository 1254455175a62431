Attribute VB_Name = "PerfsheetFolder"
' perfsheet add-in: the folder picker of the batch conversion button.
Option Explicit

Private Const FOLDER_PICKER As Long = 4 ' msoFileDialogFolderPicker

Public Function PickFolder() As String
    Dim chosen As String
#If Mac Then
    On Error Resume Next
    chosen = MacScript("POSIX path of (choose folder with prompt """ & FolderPickerTitle() & """)")
    If Err.Number <> 0 Then
        Err.Clear
        chosen = MacScript("POSIX path of (choose folder)")
    End If
    On Error GoTo 0
    If Len(chosen) > 1 And Right$(chosen, 1) = "/" Then chosen = Left$(chosen, Len(chosen) - 1)
#Else
    With Application.FileDialog(FOLDER_PICKER)
        .Title = FolderPickerTitle()
        .AllowMultiSelect = False
        If .Show = -1 Then chosen = .SelectedItems(1)
    End With
#End If
    PickFolder = chosen
End Function
