#include <windows.h>
#include <stdio.h>
#include <wchar.h>
/* A stand-in for py.exe / python.exe: logs its arguments (UTF-8), acts out -m venv. */
static void logargs(int argc, wchar_t **argv) {
    wchar_t logpath[1024];
    if (!GetEnvironmentVariableW(L"FAKEPY_LOG", logpath, 1024)) return;
    FILE *f = _wfopen(logpath, L"ab");
    char buf[4096];
    for (int i = 0; i < argc; i++) {
        int n = WideCharToMultiByte(CP_UTF8, 0, argv[i], -1, buf, sizeof buf, NULL, NULL);
        fwrite(buf, 1, n > 0 ? n - 1 : 0, f);
        fputs(i + 1 < argc ? " | " : "\n", f);
    }
    fclose(f);
}
int wmain(int argc, wchar_t **argv) {
    logargs(argc, argv);
    int i = 1;
    wchar_t env[256];
    if (argc > 1 && wcsncmp(argv[1], L"-3.", 3) == 0) {  /* py launcher */
        if (!GetEnvironmentVariableW(L"FAKEPY_VERSIONS", env, 256) || !wcsstr(env, argv[1] + 1))
            return 103;
        i = 2;
    }
    if (i < argc && wcscmp(argv[i], L"-c") == 0)
        return GetEnvironmentVariableW(L"FAKEPY_BAD", env, 256) ? 1 : 0;
    if (i + 2 < argc && wcscmp(argv[i], L"-m") == 0 && wcscmp(argv[i + 1], L"venv") == 0) {
        wchar_t path[2048], self[2048];
        swprintf(path, 2048, L"%ls\\Scripts", argv[i + 2]);
        wchar_t parent[2048];
        wcscpy(parent, argv[i + 2]);
        wchar_t *slash = wcsrchr(parent, L'\\');
        if (slash) { *slash = 0; CreateDirectoryW(parent, NULL); }
        CreateDirectoryW(argv[i + 2], NULL);
        CreateDirectoryW(path, NULL);
        GetModuleFileNameW(NULL, self, 2048);
        swprintf(path, 2048, L"%ls\\Scripts\\python.exe", argv[i + 2]);
        if (!CopyFileW(self, path, FALSE)) return 1;
        swprintf(path, 2048, L"%ls\\pyvenv.cfg", argv[i + 2]);
        FILE *f = _wfopen(path, L"w"); fputs("home = x\n", f); fclose(f);
        return 0;
    }
    if (i + 1 < argc && wcscmp(argv[i], L"-m") == 0 && wcscmp(argv[i + 1], L"perfsheet") == 0)
        return GetEnvironmentVariableW(L"FAKEPY_FAIL_ADDIN", env, 256) ? 2 : 0;
    return 0;
}
