-- perfsheet add-in: the folder picker of the batch conversion button in Excel for Mac.
--
-- Sandboxed Excel (2016 and later) runs AppleScript only from
-- ~/Library/Application Scripts/com.microsoft.Excel/, through VBA's
--     AppleScriptTask("perfsheet.applescript", "PickFolder", prompt)
-- (macros/PerfsheetFolder.bas); `perfsheet addin install` copies this file there.
-- Returns the POSIX path of the chosen folder, or "" when the user cancels.
-- ASCII only: the prompt comes from VBA.

on PickFolder(promptText)
	try
		tell application id "com.microsoft.Excel"
			activate
			set chosen to choose folder with prompt promptText
		end tell
	on error number -128 -- the user cancelled
		return ""
	end try
	return POSIX path of chosen
end PickFolder
