/* czcheck 财政校验 — the WPS 表格 加载项 (JS API add-in).
 *
 * A classic script (no modules: the add-in is loaded from a local folder) run by index.html in
 * WPS's own Chromium; tools/click.mjs runs this same file in Node against a fake Application.
 * Thin on purpose: it reads the object model, hands JSON to the engine (Python in Pyodide:
 * addin/wps_plan.py, packed into engine.zip) and applies the operations it returns.  The
 * decisions (findings, marks, the record of originals, the 校验结果 rows) are all the engine's.
 *
 * Object-model subset used (tools/fakewps.mjs implements exactly this):
 *   Application  .ActiveWorkbook .ScreenUpdating= .DisplayAlerts= .PluginStorage .CreateTaskPane(url)
 *                .GetTaskPane(id) .ribbonUI
 *   Workbook     .Name .Worksheets
 *   Worksheets   .Count .Item(i) .Add(before, after)
 *   Worksheet    .Name(=) .Visible(=) .UsedRange .Range(address) .Cells .Comments .Delete() .Activate()
 *   Range        .Row .Column .Rows.Count .Columns.Count .Value2(=) .Interior.Color(=) .Interior.ColorIndex(=) .ClearComments()
 *                .AddComment(text) .ColumnWidth= .Clear() .SpecialCells(type).Areas(.Count .Item(i))
 *   Comments     .Count .Item(i) -> Comment .Text() .Parent (Range)
 */
/* eslint-disable no-var */
var CZCHECK_VERSION = "0.1.0";
var CZCHECK_STATUS_KEY = "czcheck_status";
var CZCHECK_PANE_KEY = "czcheck_taskpane_id";
var XL_COLOR_INDEX_NONE = -4142;
var XL_SHEET_VISIBLE = -1;
var XL_SHEET_HIDDEN = 0;
var XL_CELL_TYPE_VISIBLE = 12;
var XL_CELL_TYPE_CONSTANTS = 2;
var XL_CELL_TYPE_FORMULAS = -4123;
var MAX_DENSE_CELLS = 2000000; // as the file reader: a larger used range is read by its filled areas
var MAX_AREAS = 20000;

var czcheck = (function () {
  var engine = null; // Promise of the engine module (addin.wps_plan as a PyProxy)
  var MIXED = {};

  function app() {
    return window.Application;
  }

  function baseUrl() {
    return String(window.location.href).replace(/[?#].*$/, "").replace(/[^/]*$/, "");
  }

  function status(stage, text) {
    try {
      app().PluginStorage.setItem(CZCHECK_STATUS_KEY, JSON.stringify({ stage: stage, text: text, at: Date.now() }));
    } catch (e) {
      /* no storage: the pane shows nothing new, the work goes on */
    }
  }

  function showPane() {
    var a = app();
    try {
      var id = a.PluginStorage.getItem(CZCHECK_PANE_KEY);
      var pane = id ? a.GetTaskPane(id) : null;
      if (!pane) {
        pane = a.CreateTaskPane(baseUrl() + "taskpane.html");
        a.PluginStorage.setItem(CZCHECK_PANE_KEY, pane.ID);
      }
      pane.Visible = true;
    } catch (e) {
      /* a WPS without task panes: the status still goes to PluginStorage */
    }
  }

  /* A page opened from the add-in folder (file://) may not fetch() its own files: Chromium refuses
     fetch and module imports of file: URLs.  index.html loads pyodide.asm.js with a classic
     <script>; the binary files (the wasm, the standard library, the lock file, engine.zip) are
     also in files/NAME.js as base64 (window.CZCHECK_FILES[NAME]), loaded by a <script> tag when
     fetch fails. */
  var embedded = {};

  function decodeBase64(text) {
    var raw = window.atob(text);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function loadEmbedded(base, name) {
    if (!embedded[name]) {
      embedded[name] = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = base + "files/" + name + ".js";
        script.onload = function () {
          var text = window.CZCHECK_FILES && window.CZCHECK_FILES[name];
          if (text) resolve(decodeBase64(text));
          else reject(new Error("files/" + name + ".js"));
        };
        script.onerror = function () {
          reject(new Error("无法读取加载项文件 files/" + name + ".js"));
        };
        document.head.appendChild(script);
      });
    }
    return embedded[name];
  }

  function installFileFetch(base) {
    if (typeof document === "undefined" || !/^file:/i.test(base) || window.czcheckFetchInstalled) return;
    var nativeFetch = window.fetch.bind(window);
    window.fetch = function (input, init) {
      var url = input && typeof input === "object" && typeof input.url === "string" ? input.url : String(input); // a URL object too
      if (url.indexOf(base) !== 0) return nativeFetch(input, init);
      var name = url.slice(base.length).replace(/^pyodide\//, "").replace(/[?#].*$/, "");
      return nativeFetch(input, init).catch(function () {
        return loadEmbedded(base, name).then(function (bytes) {
          var type = /\.wasm$/.test(name) ? "application/wasm" : /\.json$/.test(name) ? "application/json" : "application/octet-stream";
          return new Response(bytes, { status: 200, headers: { "Content-Type": type } });
        });
      });
    };
    window.czcheckFetchInstalled = true;
  }

  function loadEngine() {
    if (engine) return engine;
    engine = (async function () {
      var base = baseUrl();
      installFileFetch(base);
      var py = await loadPyodide({ indexURL: base + "pyodide/" });
      var response = await fetch(base + "engine.zip");
      if (!response.ok) throw new Error("engine.zip: " + response.status);
      py.unpackArchive(await response.arrayBuffer(), "zip", { extractDir: "/czcheck" });
      py.runPython("import sys\nsys.dont_write_bytecode = True\nsys.path.insert(0, '/czcheck')\nimport addin.wps_plan");
      var plan = py.pyimport("addin.wps_plan");
      plan.warm();
      return plan;
    })();
    engine.catch(function () {
      engine = null; // try again on the next click
    });
    return engine;
  }

  function letters(col) {
    var s = "";
    while (col > 0) {
      var rem = (col - 1) % 26;
      s = String.fromCharCode(65 + rem) + s;
      col = Math.floor((col - 1) / 26);
    }
    return s;
  }

  /* Every worksheet: name, visibility, used range origin and its values (one Value2 read). */
  function readBook(withValues) {
    var wb = app().ActiveWorkbook;
    if (!wb) throw new UserError("没有打开的工作簿：请先打开要校验的工作簿，再点“校验本工作簿”。");
    var sheets = wb.Worksheets;
    var count = sheets.Count;
    var out = [];
    var byName = {};
    for (var i = 1; i <= count; i++) {
      var ws = sheets.Item(i);
      var name = ws.Name;
      byName[name] = ws;
      var entry = { name: name };
      if (withValues(name)) {
        var visible = ws.Visible;
        var used = ws.UsedRange;
        entry.hidden = !(visible === XL_SHEET_VISIBLE || visible === true);
        entry.row = used.Row;
        entry.col = used.Column;
        var height = used.Rows.Count;
        var width = used.Columns.Count;
        if (height * width > MAX_DENSE_CELLS) {
          entry.height = height; // a stray cell far away: read only the cells that hold something
          entry.areas = filledAreas(used, name);
        } else {
          entry.values = used.Value2;
        }
        entry.visible_rows = visibleRows(used);
      }
      out.push(entry);
    }
    return { wb: wb, byName: byName, book: { source: wb.Name, sheets: out } };
  }

  /* [first row, row count] of each area of visible cells: the rows hidden inside the used range are
     reported (WZ807) as the file reader reports them.  null when unknown (no visible cell). */
  function visibleRows(used) {
    try {
      var areas = used.SpecialCells(XL_CELL_TYPE_VISIBLE).Areas;
      var count = areas.Count;
      var out = [];
      for (var i = 1; i <= count; i++) {
        var area = areas.Item(i);
        out.push([area.Row, area.Rows.Count]);
      }
      return out;
    } catch (e) {
      return null;
    }
  }

  function filledAreas(used, name) {
    var out = [];
    [XL_CELL_TYPE_CONSTANTS, XL_CELL_TYPE_FORMULAS].forEach(function (type) {
      var found;
      try {
        found = used.SpecialCells(type);
      } catch (e) {
        return; // no cell of this type
      }
      var areas = found.Areas;
      var count = areas.Count;
      if (count > MAX_AREAS) {
        throw new UserError("工作表“" + name + "”的已使用区域过大且内容分散（" + count + " 个区域），无法在 WPS 中校验；" +
          "请删除表格以外的内容后再试，或用命令行 czcheck 校验文件。");
      }
      for (var i = 1; i <= count; i++) {
        var area = areas.Item(i);
        out.push({ row: area.Row, col: area.Column, values: area.Value2 });
      }
    });
    return out;
  }

  function readFill(range) {
    var interior = range.Interior;
    var index = interior.ColorIndex;
    if (index === XL_COLOR_INDEX_NONE) return null;
    if (index === null || index === undefined) return MIXED;
    return interior.Color;
  }

  /* Original fill (per address chunk, per cell where the chunk's fills differ) and comment
     (one listing of the sheet's comments) of the cells about to be marked for the first time. */
  function readOriginals(byName, probe) {
    var out = {};
    probe.forEach(function (p) {
      var ws = byName[p.sheet];
      p.chunks.forEach(function (chunk) {
        var fill = readFill(ws.Range(chunk.address));
        chunk.cells.forEach(function (cell) {
          out[p.sheet + "!" + cell] = { color: fill === MIXED ? readFill(ws.Range(cell)) : fill, comment: null };
        });
      });
      var comments = ws.Comments;
      var n = comments.Count;
      for (var i = 1; i <= n; i++) {
        var comment = comments.Item(i);
        var at = comment.Parent;
        var key = p.sheet + "!" + letters(at.Column) + at.Row;
        if (key in out) out[key].comment = comment.Text();
      }
    });
    return out;
  }

  function apply(wb, byName, ops) {
    ops.forEach(function (op) {
      switch (op.op) {
        case "fill": {
          var interior = byName[op.sheet].Range(op.address).Interior;
          if (op.color === null) interior.ColorIndex = XL_COLOR_INDEX_NONE;
          else interior.Color = op.color;
          break;
        }
        case "comment": {
          var cell = byName[op.sheet].Range(op.cell);
          if (op.had) cell.ClearComments();
          if (op.text !== null) cell.AddComment(op.text);
          break;
        }
        case "sheet": {
          if (op.create) {
            var sheets = wb.Worksheets;
            var added = sheets.Add(undefined, sheets.Item(sheets.Count));
            added.Name = op.name;
            if (op.hide) added.Visible = XL_SHEET_HIDDEN;
            byName[op.name] = added;
          } else if (op.clear) {
            byName[op.name].Cells.Clear();
          }
          break;
        }
        case "values":
          byName[op.sheet].Range(op.address).Value2 = op.rows;
          break;
        case "width":
          byName[op.sheet].Range(op.address).ColumnWidth = op.width;
          break;
        case "delete":
          byName[op.name].Delete();
          delete byName[op.name];
          break;
        case "activate":
          byName[op.name].Activate();
          break;
        default:
          throw new Error("unknown operation " + op.op);
      }
    });
  }

  function UserError(message) {
    this.message = message;
  }

  function pythonMessage(err) {
    var text = String((err && err.message) || err);
    var lines = text.trim().split("\n");
    return lines[lines.length - 1];
  }

  async function withEngine(work) {
    showPane();
    var plan;
    try {
      status("load", engine ? "正在校验……" : "正在加载校验引擎（首次约需数秒）……");
      plan = await loadEngine();
    } catch (err) {
      return fail("无法加载校验引擎：" + pythonMessage(err) + "。请确认加载项文件夹完整（含 pyodide、files 与 engine.zip），详见 docs/wps-addin.md。");
    }
    try {
      status("run", "正在校验……");
      var result = work(plan, app());
      status(result.error ? "error" : "done", result.error || result.message);
      return result;
    } catch (err) {
      if (err instanceof UserError) return fail(err.message);
      if (err && err.type) return fail("校验时出错：" + pythonMessage(err));
      return fail("修改工作簿时出错：" + pythonMessage(err) + "。工作表是否受保护或正在编辑单元格？已做的标注可用“清除标注”去掉。");
    }
  }

  function fail(message) {
    status("error", message);
    return { error: message };
  }

  function validate() {
    return withEngine(function (plan, a) {
      var read = readBook(function () { return true; });
      var begun = JSON.parse(plan.begin(JSON.stringify(read.book)));
      if (begun.error) return begun;
      var done;
      a.ScreenUpdating = false;
      try {
        apply(read.wb, read.byName, begun.restore);
        var originals = readOriginals(read.byName, begun.probe);
        done = JSON.parse(plan.finish(JSON.stringify(originals)));
        apply(read.wb, read.byName, done.ops);
      } finally {
        a.ScreenUpdating = true;
      }
      done.findings = begun.findings;
      return done;
    });
  }

  function clear() {
    return withEngine(function (plan, a) {
      var read = readBook(function (name) { return name === "czcheck标注记录"; });
      var done = JSON.parse(plan.clear(JSON.stringify(read.book)));
      a.ScreenUpdating = false;
      a.DisplayAlerts = false; // deleting a sheet asks for confirmation otherwise
      try {
        apply(read.wb, read.byName, done.ops);
      } finally {
        a.DisplayAlerts = true;
        a.ScreenUpdating = true;
      }
      return done;
    });
  }

  function about() {
    var text = "czcheck 财政公开表校验 " + CZCHECK_VERSION + "\n\n" +
      "检查部门预算、部门决算公开表之间的勾稽关系，并在单元格上标注问题、生成“校验结果”工作表。\n" +
      "校验在本机进行（Pyodide 运行环境随加载项提供），不联网，不上传任何数据。\n" +
      "“清除标注”恢复被标注单元格原来的填充色和批注，并删除“校验结果”工作表。";
    status("about", text);
    showPane();
    return { message: text };
  }

  return { validate: validate, clear: clear, about: about, loadEngine: loadEngine };
})();

/* The ribbon's callbacks (ribbon.xml names them as ribbon.X). */
var ribbon = {
  OnAddinLoad: function (ribbonUI) {
    if (typeof window.Application.ribbonUI !== "object") window.Application.ribbonUI = ribbonUI;
    return true;
  },
  OnAction: function (control) {
    switch (control.Id) {
      case "czcheckValidate":
        return czcheck.validate();
      case "czcheckClear":
        return czcheck.clear();
      case "czcheckAbout":
        return czcheck.about();
      default:
        return null;
    }
  },
  OnGetEnabled: function () {
    return true;
  }
};
