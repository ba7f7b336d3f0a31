// Click 校验本工作簿 on any .xlsx without WPS: a fake WPS Application built from the file
// (fakewps.mjs), the add-in's real main.js run as WPS runs it (a classic script whose globals are
// the page's), the real Pyodide engine loaded from the built add-in folder.
//
//   node addin/wps/tools/click.mjs BOOK.xlsx [BOOK2.xlsx ...] [--twice] [--clear] [--addin DIR] [--calls]
//                                  [--edit 'SHEET!A1=VALUE' ...] [--show 'SHEET!A1' ...] [--protect SHEET]
//   node addin/wps/tools/click.mjs --callbacks
//
// Prints one JSON line per book: {"book", "marked": [{"cell": "sheet!A1", "severity"}], "results":
// [{"values": [...], "link": "#'sheet'!A1"}], "message", "load_ms", "click_ms"}; with --twice also
// "rerun" (the second click: same state as after the first? calls), with --clear also "clear"
// (state after 清除标注 equal to the state before the first click?), with --calls the
// object-model calls per click.  --edit changes a cell after the first click (as a user fixing it
// would; the clear comparison then expects the edited values), --show reports the value, fill and
// comment of a cell after every click.  --protect makes a sheet refuse changes during the first
// click (its error is reported, exit status 2; with --clear, 清除标注 then runs unprotected).  --callbacks lists every callback ribbon.xml names and whether
// main.js defines it as a function.  --dump-state prints the fake built from each book as JSON.
// A missing or unreadable file: a Chinese message on stderr, exit status 2 (other books still run).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import vm from "node:vm";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "..", "..", "..");

// The four fills of the mark plan (validators/marking/plan.py SEVERITY_STYLES, background colour as BGR).
const bgr = (hex) => parseInt(hex.slice(0, 2), 16) + parseInt(hex.slice(2, 4), 16) * 256 + parseInt(hex.slice(4, 6), 16) * 65536;
export const SEVERITY_FILLS = new Map([
  [bgr("FFC7CE"), "错误"], [bgr("E4DFEC"), "无法校验"], [bgr("FFEB9C"), "提示"], [bgr("E2EFDA"), "尾差"],
]);
const OWN = /^(校验结果\d*|czcheck标注记录)$/;

function fail(message) {
  process.stderr.write(message + "\n");
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { books: [], twice: false, clear: false, calls: false, callbacks: false, addin: null, edits: [], show: [], protect: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--twice") opts.twice = true;
    else if (a === "--clear") opts.clear = true;
    else if (a === "--calls") opts.calls = true;
    else if (a === "--callbacks") opts.callbacks = true;
    else if (a === "--dump-state") opts.dump = true;
    else if (a === "--protect") opts.protect.push(argv[++i]);
    else if (a === "--addin") opts.addin = argv[++i];
    else if (a === "--edit") opts.edits.push(parseEdit(argv[++i]));
    else if (a === "--show") opts.show.push(parseCell(argv[++i]));
    else if (a.startsWith("--")) fail(`未知参数：${a}\n用法：node addin/wps/tools/click.mjs 工作簿.xlsx [--twice] [--clear] [--calls] [--addin 文件夹]`);
    else opts.books.push(a);
  }
  if (!opts.books.length && !opts.callbacks) fail("用法：node addin/wps/tools/click.mjs 工作簿.xlsx [--twice] [--clear] [--calls] [--addin 文件夹]");
  return opts;
}

function parseCell(text) {
  const m = /^(.+)!([A-Z]+)(\d+)$/.exec(text || "");
  if (!m) fail(`单元格应写作“工作表!A1”：${text}`);
  let col = 0;
  for (const ch of m[2]) col = col * 26 + ch.charCodeAt(0) - 64;
  return { text, sheet: m[1], row: Number(m[3]), col };
}

function parseEdit(text) {
  const at = (text || "").indexOf("=");
  if (at < 0) fail(`--edit 应写作“工作表!A1=值”：${text}`);
  const cell = parseCell(text.slice(0, at));
  const raw = text.slice(at + 1);
  return { ...cell, value: raw !== "" && !Number.isNaN(Number(raw)) ? Number(raw) : raw };
}

function applyEdits(app, edits) {
  for (const e of edits) {
    const sheet = app.book.sheets.find((s) => s._name === e.sheet);
    if (!sheet) fail(`没有工作表：${e.sheet}`);
    sheet.setValue(e.row, e.col, e.value);
  }
}

function show(app, cells) {
  const out = {};
  for (const c of cells) {
    const sheet = app.book.sheets.find((s) => s._name === c.sheet);
    const k = `${c.row},${c.col}`;
    out[c.text] = sheet ? { value: sheet.values.get(k) ?? null, fill: sheet.fills.get(k) ?? null, comment: sheet.comments.get(k) ?? null } : null;
  }
  return out;
}

function version() {
  const m = /^version\s*=\s*"([^"]+)"/m.exec(readFileSync(resolve(repo, "pyproject.toml"), "utf-8"));
  return m ? m[1] : "0.0.0";
}

function newestSource() {
  const roots = [resolve(repo, "addin", "wps"), resolve(repo, "validators")];
  let newest = ["wps_plan.py", "excel.py", "gridjson.py"].map((n) => statSync(resolve(repo, "addin", n)).mtimeMs)
    .reduce((a, b) => Math.max(a, b), 0);
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === "node_modules" || entry.name === "__pycache__" || entry.name === "tools") continue;
      const path = resolve(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  roots.forEach(walk);
  return newest;
}

/** The default folder (dist/) is built, or rebuilt when a source is newer; --addin folders are used as they are. */
function ensureBuilt(dir, isDefault) {
  const zip = resolve(dir, "engine.zip");
  const fresh = existsSync(zip) && existsSync(resolve(dir, "pyodide", "pyodide.asm.wasm"))
    && (!isDefault || statSync(zip).mtimeMs >= newestSource());
  if (fresh) return;
  if (!isDefault && existsSync(dir)) fail(`加载项文件夹不完整：${dir}`);
  try {
    execFileSync("python3", [resolve(repo, "addin", "wps", "build.py")], { stdio: ["ignore", "ignore", "inherit"] });
  } catch (err) {
    fail(`无法生成 WPS 加载项文件夹（python3 addin/wps/build.py 失败）：${err.message.split("\n")[0]}`);
  }
  if (!existsSync(zip)) fail(`加载项文件夹不完整：${dir}`);
}

async function ensureExcelJs() {
  if (!existsSync(resolve(here, "node_modules", "exceljs"))) {
    try {
      execFileSync("npm", ["install", "--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error"], { cwd: here, stdio: ["ignore", "ignore", "inherit"] });
    } catch (err) {
      fail("无法安装读取 .xlsx 所需的 exceljs（需要 npm）：" + err.message.split("\n")[0]);
    }
  }
  const { fakeFromXlsx } = await import("./fromxlsx.mjs");
  const { FakeApplication } = await import("./fakewps.mjs");
  return { fakeFromXlsx, FakeApplication };
}

/** The add-in page as WPS would run it: main.js in its own global scope with window.Application. */
async function loadAddin(addinDir, app) {
  const pyodideModule = await import(pathToFileURL(resolve(addinDir, "pyodide", "pyodide.mjs")).href);
  const page = {
    console,
    setTimeout,
    clearTimeout,
    location: { href: pathToFileURL(resolve(addinDir, "index.html")).href },
    Application: app,
    alert: (text) => { page.alerts.push(String(text)); },
    alerts: [],
    // <script src="./pyodide/pyodide.js"> defines loadPyodide; indexURL is the add-in's pyodide/ folder
    loadPyodide: (options) => pyodideModule.loadPyodide({
      ...options,
      indexURL: fileURLToPath(options.indexURL) + "/",
      stdout: () => {},
      stderr: (t) => process.stderr.write(t + "\n"),
    }),
    // the page reads its own files (engine.zip) by URL
    fetch: async (url) => {
      const path = fileURLToPath(url);
      if (!existsSync(path)) return { ok: false, status: 404, arrayBuffer: async () => new ArrayBuffer(0) };
      const bytes = readFileSync(path);
      return { ok: true, status: 200, arrayBuffer: async () => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) };
    },
  };
  page.window = page;
  vm.createContext(page);
  vm.runInContext(readFileSync(resolve(addinDir, "main.js"), "utf-8"), page, { filename: resolve(addinDir, "main.js") });
  return page;
}

function callbacks(addinDir, page) {
  const xml = readFileSync(resolve(addinDir, "ribbon.xml"), "utf-8");
  const names = [...xml.matchAll(/\s(on[A-Z]\w*|get[A-Z]\w*)="([^"]+)"/g)].map((m) => m[2]);
  return [...new Set(names)].map((name) => {
    const value = name.split(".").reduce((obj, part) => (obj == null ? undefined : obj[part]), page);
    return { callback: name, defined: typeof value === "function" };
  });
}

function marked(app) {
  const out = [];
  for (const s of app.book.sheets) {
    if (OWN.test(s._name)) continue;
    const cells = [...s.comments.entries()].filter(([, text]) => text.includes("czcheck 校验"));
    cells.sort((a, b) => { const [r1, c1] = a[0].split(",").map(Number), [r2, c2] = b[0].split(",").map(Number); return r1 - r2 || c1 - c2; });
    for (const [k] of cells) {
      const [r, c] = k.split(",").map(Number);
      out.push({ cell: `${s._name}!${colLettersLocal(c)}${r}`, severity: SEVERITY_FILLS.get(s.fills.get(k)) || "?" });
    }
  }
  return out;
}

function colLettersLocal(col) {
  let s = "";
  while (col > 0) { const rem = (col - 1) % 26; s = String.fromCharCode(65 + rem) + s; col = Math.floor((col - 1) / 26); }
  return s;
}

function results(app) {
  const sheet = app.book.sheets.find((s) => s._name === "校验结果");
  if (!sheet) return [];
  const rows = new Map();
  for (const [k, v] of sheet.values) {
    const [r, c] = k.split(",").map(Number);
    if (r < 3) continue;
    if (!rows.has(r)) rows.set(r, new Array(9).fill(null));
    rows.get(r)[c - 1] = v;
  }
  return [...rows.keys()].sort((a, b) => a - b).map((r) => {
    const formula = sheet.formulas.get(`${r},4`);
    const link = formula ? /^=HYPERLINK\("((?:[^"]|"")*)"/.exec(formula)[1].replace(/""/g, '"') : null;
    return { values: rows.get(r), link };
  });
}

function firstDifference(a, b) {
  const sa = JSON.stringify(a), sb = JSON.stringify(b);
  if (sa === sb) return null;
  let i = 0;
  while (i < sa.length && sa[i] === sb[i]) i++;
  return { at: i, before: sa.slice(Math.max(0, i - 80), i + 80), after: sb.slice(Math.max(0, i - 80), i + 80) };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const addinDir = resolve(opts.addin || resolve(repo, "dist", "czcheck-wps", `czcheck_${version()}`));
  const { fakeFromXlsx, FakeApplication } = await ensureExcelJs();
  if (opts.dump) { // the fake's state of each book as JSON, for a page that rebuilds it (FakeApplication.fromState)
    for (const book of opts.books) {
      if (!existsSync(book)) fail(`找不到文件：${book}`);
      const app = await fakeFromXlsx(resolve(book), basename(book)).catch(() => fail(`无法读取工作簿（不是 .xlsx 文件或文件已损坏）：${book}`));
      process.stdout.write(JSON.stringify(app.state()) + "\n");
    }
    return;
  }
  ensureBuilt(addinDir, !opts.addin);

  if (opts.callbacks) {
    const page = await loadAddin(addinDir, new FakeApplication("无.xlsx"));
    process.stdout.write(JSON.stringify({ callbacks: callbacks(addinDir, page) }) + "\n");
    if (!opts.books.length) return;
  }

  let status = 0;
  let page = null;
  let loadMs = null;
  for (const book of opts.books) {
    const path = resolve(book);
    if (!existsSync(path)) {
      process.stderr.write(`找不到文件：${book}\n`);
      status = 2;
      continue;
    }
    let app;
    try {
      app = await fakeFromXlsx(path, basename(path));
    } catch (err) {
      const why = String((err && err.message) || err).split("\n")[0].slice(0, 160);
      process.stderr.write(`无法读取工作簿（不是 .xlsx 文件、文件已损坏或内容异常）：${book}（${why}）\n`);
      status = 2;
      continue;
    }
    if (page === null) {
      page = await loadAddin(addinDir, app);
      page.ribbon.OnAddinLoad({ Invalidate() {}, InvalidateControl() {} });
      const t0 = performance.now();
      try {
        await page.czcheck.loadEngine();
      } catch (err) {
        fail(`无法加载校验引擎：${String(err.message || err).split("\n").pop()}`);
      }
      loadMs = performance.now() - t0;
    }
    page.Application = app; // the next book is the active one
    const guarded = app.book.sheets.filter((s) => opts.protect.includes(s._name));
    guarded.forEach((s) => { s.protected = true; });
    const before = app.snapshot();
    app.resetCalls();
    const t1 = performance.now();
    const first = await page.ribbon.OnAction({ Id: "czcheckValidate" });
    const clickMs = performance.now() - t1;
    const calls = app.resetCalls();
    const out = { book, load_ms: loadMs, click_ms: clickMs };
    out.screen_updating = app.ScreenUpdatingState;
    guarded.forEach((s) => { s.protected = false; }); // the user lifts the protection, then clicks again
    if (first.error) {
      out.error = first.error;
      status = 2;
      if (opts.clear) {
        const cleared = await page.ribbon.OnAction({ Id: "czcheckClear" });
        const difference = firstDifference(before, app.snapshot());
        out.clear = { message: cleared.message || null, error: cleared.error || null, restored: difference === null, difference };
      }
      process.stdout.write(JSON.stringify(out) + "\n");
      continue;
    }
    Object.assign(out, { message: first.message, marked: marked(app), results: results(app), findings: first.findings.length });
    if (opts.calls) out.calls = calls;
    if (opts.show.length) out.show = { first: show(app, opts.show) };
    if (opts.edits.length) applyEdits(app, opts.edits);
    if (opts.twice) {
      const after = app.snapshot();
      const t2 = performance.now();
      const second = await page.ribbon.OnAction({ Id: "czcheckValidate" });
      const again = app.resetCalls();
      out.rerun = { click_ms: performance.now() - t2, error: second.error || null, same_state: firstDifference(after, app.snapshot()) === null,
        difference: firstDifference(after, app.snapshot()), calls: opts.calls ? again : undefined, marked: marked(app) };
      if (opts.show.length) out.show.rerun = show(app, opts.show);
    }
    if (opts.clear) {
      const cleared = await page.ribbon.OnAction({ Id: "czcheckClear" });
      const clearCalls = app.resetCalls();
      let expected = before;
      if (opts.edits.length) {
        const fresh = await fakeFromXlsx(path, basename(path));
        applyEdits(fresh, opts.edits);
        expected = fresh.snapshot();
      }
      const difference = firstDifference(expected, app.snapshot());
      if (opts.show.length) out.show.clear = show(app, opts.show);
      out.clear = { message: cleared.message || null, error: cleared.error || null, restored: difference === null, difference,
        calls: opts.calls ? clearCalls : undefined };
    }
    process.stdout.write(JSON.stringify(out) + "\n");
  }
  process.exit(status);
}

main().catch((err) => fail(`运行失败：${String(err && err.message || err).split("\n")[0]}`));
