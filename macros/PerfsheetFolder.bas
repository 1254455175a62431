Attribute VB_Name = "PerfsheetFolder"
' perfsheet add-in: the folder picker of the batch conversion button.
' Windows: Office's folder dialog. Mac: sandboxed Excel (2016 and later) runs AppleScript
' only through AppleScriptTask, from ~/Library/Application Scripts/com.microsoft.Excel/
' (MacScript is deprecated there); perfsheet addin install copies addin/perfsheet.applescript
' into that folder.
Option Explicit
Option Private Module

Private Const FOLDER_PICKER As Long = 4 ' msoFileDialogFolderPicker
Private Const MAC_SCRIPT As String = "perfsheet.applescript"

Public Function PickFolder() As String
    ' The chosen folder without a trailing separator, or "" when the user cancels.
#If Mac Then
    PickFolder = MacPickFolder(FolderPickerTitle())
#Else
    With Application.FileDialog(FOLDER_PICKER)
        .Title = FolderPickerTitle()
        .AllowMultiSelect = False
        If .Show = -1 Then PickFolder = .SelectedItems(1)
    End With
#End If
End Function

#If Mac Then
Private Function MacPickFolder(ByVal prompt As String) As String
    ' "" when the user cancels, or after saying why the picker could not open.
    Dim chosen As String
    On Error GoTo NoPicker
    chosen = AppleScriptTask(MAC_SCRIPT, "PickFolder", prompt)
    On Error GoTo 0
    If Len(chosen) > 1 And Right$(chosen, 1) = "/" Then chosen = Left$(chosen, Len(chosen) - 1)
    MacPickFolder = chosen
    Exit Function
NoPicker:
    ShowMessage Replace(UiText("mac_picker_failed"), "{error}", Err.Description)
End Function
#End If
