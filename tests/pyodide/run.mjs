// Runs a Python file in Pyodide (the npm package pinned in package-lock.json: the runtime
// xlwings Lite runs Python in) under Node. Used by tests/test_lite_pyodide.py.
//
//   node run.mjs [--mount /guest=HOSTDIR]... FILE.py [ARG]...
//
// Each --mount makes a host folder visible inside Pyodide's file system (NODEFS). FILE.py
// (a guest path) is executed as a module named "pyodide_entry"; it must define
// `async def entry(argv)`, which is then awaited with ARG... (Pyodide has no asyncio.run: its
// event loop is Node's). A Python error prints its traceback and exits with status 1.
// Nothing is loaded from the network: loadPyodide() reads the runtime from node_modules.
import { loadPyodide } from "pyodide";

const args = process.argv.slice(2);
const mounts = [];
while (args[0] === "--mount") {
  const spec = args[1];
  const at = spec.indexOf("=");
  mounts.push([spec.slice(0, at), spec.slice(at + 1)]);
  args.splice(0, 2);
}
const [file, ...argv] = args;

try {
  const started = performance.now();
  const pyodide = await loadPyodide({ stdout: (s) => console.error(s), stderr: (s) => console.error(s) });
  const loaded = performance.now();
  for (const [guest, host] of mounts) {
    pyodide.FS.mkdirTree(guest);
    pyodide.mountNodeFS(guest, host);
  }
  const ns = pyodide.globals.get("dict")();
  ns.set("__name__", "pyodide_entry");
  ns.set("__file__", file);
  const source = new TextDecoder().decode(pyodide.FS.readFile(file));
  pyodide.runPython(source, { globals: ns, filename: file });
  ns.set("ARGV", pyodide.toPy(argv));
  await pyodide.runPythonAsync("await entry(ARGV)", { globals: ns });
  const done = performance.now();
  console.log(JSON.stringify({ load_ms: Math.round(loaded - started), run_ms: Math.round(done - loaded) }));
} catch (err) {
  // a PythonError's message is the traceback; never print the runtime's own source
  console.error(err && err.message ? err.message : String(err));
  process.exit(1);
}
