// The czcheck engine under Node.js + Pyodide: no CPython, no compiled Python package.
//
//   node addin/pyodide/engine.mjs < workbooks.jsonl
//
// Input: one grids JSON per line (addin/gridjson.py describes it).  Output: one JSON line
// {"load_ms": ...} once Pyodide and the engine are loaded, then per input line
// {"ms": ..., "findings": [...]} (or {"error": "..."}).  Pyodide's runtime and standard library
// come from the npm package in ./node_modules; the engine's source is this repository, mounted
// read-only: nothing is fetched at run time.
import { createInterface } from "node:readline";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadPyodide } from "pyodide";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "..", "..");
const started = performance.now();
const pyodide = await loadPyodide({ indexURL: resolve(here, "node_modules", "pyodide") + "/", stdout: () => {}, stderr: (t) => process.stderr.write(t + "\n") });
pyodide.FS.mkdirTree("/czcheck");
pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: repo }, "/czcheck");
pyodide.runPython(`
import sys
sys.dont_write_bytecode = True
sys.path.insert(0, "/czcheck")
from addin.gridjson import validate_json
import validators.rules, validators.reading
`);
const validate = pyodide.globals.get("validate_json");
const modules = pyodide.runPython("import sys; ','.join(sorted(m for m in sys.modules if m.split('.')[0] in ('python_calamine','openpyxl','pandas','defusedxml','numpy','xlwings','lxml')))");
process.stdout.write(JSON.stringify({ load_ms: performance.now() - started, python: pyodide.runPython("import sys; sys.version.split()[0]"), foreign_modules: modules }) + "\n");

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  const t0 = performance.now();
  try {
    const findings = JSON.parse(validate(line));
    process.stdout.write(JSON.stringify({ ms: performance.now() - t0, findings }) + "\n");
  } catch (err) {
    process.stdout.write(JSON.stringify({ error: String(err) }) + "\n");
  }
}
