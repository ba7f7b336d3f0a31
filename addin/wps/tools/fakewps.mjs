// A fake WPS 表格 Application holding real state, built from an .xlsx (read with exceljs).
//
// It implements exactly the object-model subset addin/wps/main.js uses (listed at the top of
// that file), the way Excel's object model behaves where WPS follows it: Value2 gives numbers for
// dates and CVErr codes for error cells, a one-cell range's Value2 is the value itself,
// Interior.Color is a BGR integer (16777215 when there is no fill), Interior.ColorIndex is -4142
// (xlColorIndexNone) for no fill and null when the cells' fills differ, AddComment fails on a cell
// that already has a comment, sheet addresses are limited to 255 characters.
//
// Every property read or write and every method call is counted in app.calls (each is one call
// into WPS from the add-in's page); snapshot() gives the whole state for round-trip comparisons.

export const XL_NONE = -4142;
export const NO_FILL_COLOR = 16777215;
const MAX_ROW = 1048576;

const key = (r, c) => `${r},${c}`;
const unkey = (k) => k.split(",").map(Number);

export function colLetters(col) {
  let s = "";
  while (col > 0) {
    const rem = (col - 1) % 26;
    s = String.fromCharCode(65 + rem) + s;
    col = Math.floor((col - 1) / 26);
  }
  return s;
}

function colNumber(letters) {
  let n = 0;
  for (const ch of letters.toUpperCase()) n = n * 26 + ch.charCodeAt(0) - 64;
  return n;
}

function parseArea(text) {
  const t = text.replace(/\$/g, "");
  const whole = /^([A-Z]+):([A-Z]+)$/i.exec(t);
  if (whole) return { r1: 1, c1: colNumber(whole[1]), r2: MAX_ROW, c2: colNumber(whole[2]) };
  const m = /^([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?$/i.exec(t);
  if (!m) throw new Error(`fake WPS: bad address ${text}`);
  const r1 = Number(m[2]), c1 = colNumber(m[1]);
  const r2 = m[3] ? Number(m[4]) : r1, c2 = m[3] ? colNumber(m[3]) : c1;
  return { r1: Math.min(r1, r2), c1: Math.min(c1, c2), r2: Math.max(r1, r2), c2: Math.max(c1, c2) };
}

function hyperlinkValue(formula) {
  const m = /^=HYPERLINK\("((?:[^"]|"")*)","((?:[^"]|"")*)"\)$/.exec(formula);
  return m ? { target: m[1].replace(/""/g, '"'), shown: m[2].replace(/""/g, '"') } : null;
}

export class Sheet {
  constructor(app, name) {
    this.app = app;
    this._name = name;
    this._visible = -1;
    this.protected = false; // a protected sheet refuses every change, as WPS does
    this.hiddenRows = new Set(); // 1-based rows hidden (height 0)
    this.values = new Map();
    this.formulas = new Map();
    this.fills = new Map();
    this.comments = new Map();
    this.widths = new Map();
  }
  get Name() { this.app.count("Worksheet.Name"); return this._name; }
  set Name(v) {
    this.app.count("Worksheet.Name=");
    if (this.app.book.sheets.some((s) => s !== this && s._name === v)) throw new Error("fake WPS: duplicate sheet name");
    this._name = v;
  }
  get Visible() { this.app.count("Worksheet.Visible"); return this._visible; }
  set Visible(v) {
    this.app.count("Worksheet.Visible=");
    this._visible = v === true ? -1 : v === false ? 0 : v;
  }
  get UsedRange() {
    this.app.count("Worksheet.UsedRange");
    const keys = [...this.values.keys(), ...this.fills.keys(), ...this.comments.keys()].map(unkey);
    if (!keys.length) return new Range(this, [{ r1: 1, c1: 1, r2: 1, c2: 1 }]);
    const rs = keys.map((k) => k[0]), cs = keys.map((k) => k[1]);
    return new Range(this, [{ r1: Math.min(...rs), c1: Math.min(...cs), r2: Math.max(...rs), c2: Math.max(...cs) }]);
  }
  Range(address) {
    this.app.count("Worksheet.Range");
    if (typeof address !== "string" || address.length > 255) throw new Error("fake WPS: Range() address over 255 characters");
    return new Range(this, address.split(",").map(parseArea));
  }
  get Cells() {
    this.app.count("Worksheet.Cells");
    return new Range(this, [{ r1: 1, c1: 1, r2: MAX_ROW, c2: 16384 }]);
  }
  get Comments() {
    this.app.count("Worksheet.Comments");
    const cells = [...this.comments.keys()].map(unkey).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const sheet = this;
    return {
      get Count() { sheet.app.count("Comments.Count"); return cells.length; },
      Item(i) { sheet.app.count("Comments.Item"); return new Comment(sheet, cells[i - 1][0], cells[i - 1][1]); },
    };
  }
  Delete() {
    this.app.count("Worksheet.Delete");
    if (this.app.DisplayAlertsState) throw new Error("fake WPS: deleting a sheet with DisplayAlerts on asks the user");
    const sheets = this.app.book.sheets;
    if (sheets.filter((s) => s !== this && s._visible === -1).length === 0) throw new Error("fake WPS: a workbook needs one visible sheet");
    sheets.splice(sheets.indexOf(this), 1);
    if (this.app.book.active === this) this.app.book.active = sheets.find((s) => s._visible === -1);
  }
  Activate() { this.app.count("Worksheet.Activate"); this.app.book.active = this; }

  cellsOf(areas) {
    const out = [];
    for (const a of areas) {
      if (a.r2 === MAX_ROW || a.c2 === 16384) throw new Error("fake WPS: a whole-row/column range used cell by cell");
      for (let r = a.r1; r <= a.r2; r++) for (let c = a.c1; c <= a.c2; c++) out.push([r, c]);
    }
    return out;
  }
  guard() {
    if (this.protected) throw new Error(`fake WPS: 工作表“${this._name}”受保护，不能修改`);
  }
  setValue(r, c, v) {
    const k = key(r, c);
    this.formulas.delete(k);
    if (v === null || v === undefined || v === "") {
      this.values.delete(k);
    } else if (typeof v === "string" && v.startsWith("=")) {
      const link = hyperlinkValue(v);
      if (!link) throw new Error(`fake WPS: formula not supported: ${v.slice(0, 40)}`);
      this.formulas.set(k, v);
      this.values.set(k, link.shown);
    } else if (typeof v === "string" && v.startsWith("'")) {
      this.values.set(k, v.slice(1));
    } else if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") {
      this.values.set(k, v);
    } else {
      throw new Error(`fake WPS: cannot write ${typeof v} to a cell`);
    }
  }
}

class Comment {
  constructor(sheet, r, c) { this.sheet = sheet; this.r = r; this.c = c; }
  Text() {
    this.sheet.app.count("Comment.Text");
    if (arguments.length) throw new Error("fake WPS: Comment.Text(text) is not used by the add-in");
    return this.sheet.comments.get(key(this.r, this.c));
  }
  get Parent() { this.sheet.app.count("Comment.Parent"); return new Range(this.sheet, [{ r1: this.r, c1: this.c, r2: this.r, c2: this.c }]); }
  Delete() { this.sheet.app.count("Comment.Delete"); this.sheet.comments.delete(key(this.r, this.c)); }
}

class Range {
  constructor(sheet, areas) { this.sheet = sheet; this.areas = areas; }
  get app() { return this.sheet.app; }
  single() {
    const a = this.areas[0];
    if (this.areas.length !== 1 || a.r1 !== a.r2 || a.c1 !== a.c2) throw new Error("fake WPS: a one-cell operation on a larger range");
    return [a.r1, a.c1];
  }
  get Row() { this.app.count("Range.Row"); return this.areas[0].r1; }
  get Rows() {
    this.app.count("Range.Rows");
    const a = this.areas[0];
    const app = this.app;
    return { get Count() { app.count("Rows.Count"); return a.r2 - a.r1 + 1; } };
  }
  get Columns() {
    this.app.count("Range.Columns");
    const a = this.areas[0];
    const app = this.app;
    return { get Count() { app.count("Columns.Count"); return a.c2 - a.c1 + 1; } };
  }
  SpecialCells(type) {
    this.app.count("Range.SpecialCells");
    if (type === 2 || type === -4123) return this.filledAreas(type);
    if (type !== 12) throw new Error("fake WPS: SpecialCells(" + type + ") is not used");
    const areas = [];
    for (const a of this.areas) {
      let start = null;
      for (let r = a.r1; r <= a.r2 + 1; r++) {
        const visible = r <= a.r2 && !this.sheet.hiddenRows.has(r);
        if (visible && start === null) start = r;
        if (!visible && start !== null) { areas.push({ r1: start, c1: a.c1, r2: r - 1, c2: a.c2 }); start = null; }
      }
    }
    return this.areasResult(areas);
  }
  /** Constants (2) or formulas (-4123) inside the range, as runs of filled cells along each row. */
  filledAreas(type) {
    const a = this.areas[0];
    const cells = [...this.sheet.values.keys()].map(unkey)
      .filter(([r, c]) => r >= a.r1 && r <= a.r2 && c >= a.c1 && c <= a.c2)
      .filter(([r, c]) => (type === -4123) === this.sheet.formulas.has(key(r, c)))
      .sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    const areas = [];
    for (const [r, c] of cells) {
      const last = areas[areas.length - 1];
      if (last && last.r1 === r && last.c2 === c - 1) last.c2 = c;
      else areas.push({ r1: r, c1: c, r2: r, c2: c });
    }
    return this.areasResult(areas);
  }
  areasResult(areas) {
    if (!areas.length) throw new Error("fake WPS: No cells were found."); // as Excel raises
    const sheet = this.sheet, app = this.app;
    return { get Areas() {
      app.count("Range.Areas");
      return { get Count() { app.count("Areas.Count"); return areas.length; },
        Item(i) { app.count("Areas.Item"); return new Range(sheet, [areas[i - 1]]); } };
    } };
  }
  get Column() { this.app.count("Range.Column"); return this.areas[0].c1; }
  get Value2() {
    this.app.count("Range.Value2");
    const a = this.areas[0];
    const read = (r, c) => {
      const v = this.sheet.values.get(key(r, c));
      return v === undefined ? null : v;
    };
    if (a.r1 === a.r2 && a.c1 === a.c2) return read(a.r1, a.c1);
    const rows = [];
    for (let r = a.r1; r <= a.r2; r++) {
      const row = [];
      for (let c = a.c1; c <= a.c2; c++) row.push(read(r, c));
      rows.push(row);
    }
    return rows;
  }
  set Value2(block) {
    this.app.count("Range.Value2=");
    this.sheet.guard();
    const a = this.areas[0];
    if (!Array.isArray(block)) block = [[block]];
    if (block.length !== a.r2 - a.r1 + 1 || block.some((row) => row.length !== a.c2 - a.c1 + 1)) {
      throw new Error("fake WPS: the array does not fit the range");
    }
    block.forEach((row, i) => row.forEach((v, j) => this.sheet.setValue(a.r1 + i, a.c1 + j, v)));
  }
  get Interior() {
    this.app.count("Range.Interior");
    const range = this;
    const fills = () => range.sheet.cellsOf(range.areas).map(([r, c]) => range.sheet.fills.get(key(r, c)));
    return {
      get Color() {
        range.app.count("Interior.Color");
        const found = new Set(fills());
        if (found.size > 1) return null;
        const only = [...found][0];
        return only === undefined ? NO_FILL_COLOR : only;
      },
      set Color(v) {
        range.app.count("Interior.Color=");
        range.sheet.guard();
        if (!Number.isInteger(v) || v < 0 || v > 0xFFFFFF) throw new Error(`fake WPS: bad colour ${v}`);
        for (const [r, c] of range.sheet.cellsOf(range.areas)) range.sheet.fills.set(key(r, c), v);
      },
      get ColorIndex() {
        range.app.count("Interior.ColorIndex");
        const found = new Set(fills());
        if (found.size > 1) return null;
        return [...found][0] === undefined ? XL_NONE : 1;
      },
      set ColorIndex(v) {
        range.app.count("Interior.ColorIndex=");
        range.sheet.guard();
        if (v !== XL_NONE) throw new Error("fake WPS: only ColorIndex = xlColorIndexNone is used");
        for (const [r, c] of range.sheet.cellsOf(range.areas)) range.sheet.fills.delete(key(r, c));
      },
    };
  }
  get Comment() {
    this.app.count("Range.Comment");
    const [r, c] = this.single();
    return this.sheet.comments.has(key(r, c)) ? new Comment(this.sheet, r, c) : null;
  }
  AddComment(text) {
    this.app.count("Range.AddComment");
    this.sheet.guard();
    const [r, c] = this.single();
    if (this.sheet.comments.has(key(r, c))) throw new Error("fake WPS: AddComment on a cell that has a comment");
    if (typeof text !== "string") throw new Error("fake WPS: AddComment needs text");
    this.sheet.comments.set(key(r, c), text);
    return new Comment(this.sheet, r, c);
  }
  ClearComments() {
    this.app.count("Range.ClearComments");
    this.sheet.guard();
    for (const [r, c] of this.sheet.cellsOf(this.areas)) this.sheet.comments.delete(key(r, c));
  }
  set ColumnWidth(w) {
    this.app.count("Range.ColumnWidth=");
    for (const a of this.areas) for (let c = a.c1; c <= a.c2; c++) this.sheet.widths.set(c, w);
  }
  Clear() {
    this.app.count("Range.Clear");
    this.sheet.guard();
    const inside = (k) => {
      const [r, c] = unkey(k);
      return this.areas.some((a) => r >= a.r1 && r <= a.r2 && c >= a.c1 && c <= a.c2);
    };
    for (const map of [this.sheet.values, this.sheet.formulas, this.sheet.fills, this.sheet.comments]) {
      for (const k of [...map.keys()]) if (inside(k)) map.delete(k);
    }
  }
}

class Workbook {
  constructor(app, name) {
    this.app = app;
    this._name = name;
    this.sheets = [];
    this.active = null;
  }
  get Name() { this.app.count("Workbook.Name"); return this._name; }
  get Worksheets() {
    this.app.count("Workbook.Worksheets");
    const book = this;
    return {
      get Count() { book.app.count("Worksheets.Count"); return book.sheets.length; },
      Item(i) {
        book.app.count("Worksheets.Item");
        const s = typeof i === "number" ? book.sheets[i - 1] : book.sheets.find((x) => x._name === i);
        if (!s) throw new Error(`fake WPS: no sheet ${i}`);
        return s;
      },
      Add(before, after) {
        book.app.count("Worksheets.Add");
        let n = book.sheets.length + 1;
        while (book.sheets.some((s) => s._name === `Sheet${n}`)) n++;
        const sheet = new Sheet(book.app, `Sheet${n}`);
        const at = after ? book.sheets.indexOf(after) + 1 : before ? book.sheets.indexOf(before) : 0;
        book.sheets.splice(at, 0, sheet);
        book.active = sheet;
        return sheet;
      },
    };
  }
}

export class FakeApplication {
  constructor(bookName) {
    this.calls = {};
    this.book = new Workbook(this, bookName);
    this.ScreenUpdatingState = true;
    this.DisplayAlertsState = true;
    this.storage = new Map();
    this.panes = new Map();
    this.ribbonUI = undefined;
    const app = this;
    this.PluginStorage = {
      setItem(k, v) { app.storage.set(k, v); },
      getItem(k) { return app.storage.has(k) ? app.storage.get(k) : null; },
    };
  }
  count(op) { this.calls[op] = (this.calls[op] || 0) + 1; }
  resetCalls() { const c = this.calls; this.calls = {}; return c; }
  get ActiveWorkbook() { this.count("Application.ActiveWorkbook"); return this.book; }
  get ScreenUpdating() { return this.ScreenUpdatingState; }
  set ScreenUpdating(v) { this.count("Application.ScreenUpdating="); this.ScreenUpdatingState = v; }
  get DisplayAlerts() { return this.DisplayAlertsState; }
  set DisplayAlerts(v) { this.count("Application.DisplayAlerts="); this.DisplayAlertsState = v; }
  CreateTaskPane(url) {
    this.count("Application.CreateTaskPane");
    const pane = { ID: `pane${this.panes.size + 1}`, url, Visible: false };
    this.panes.set(pane.ID, pane);
    return pane;
  }
  GetTaskPane(id) { this.count("Application.GetTaskPane"); return this.panes.get(id) || null; }

  /** The book as plain JSON (what fromState rebuilds). */
  state() {
    return { name: this.book._name, sheets: this.book.sheets.map((s) => ({ name: s._name, visible: s._visible,
      values: [...s.values], fills: [...s.fills], comments: [...s.comments], hiddenRows: [...s.hiddenRows] })) };
  }

  static fromState(state) {
    const app = new FakeApplication(state.name);
    for (const s of state.sheets) {
      const sheet = new Sheet(app, s.name);
      sheet._visible = s.visible;
      for (const [k, v] of s.values) sheet.values.set(k, v);
      for (const [k, v] of s.fills) sheet.fills.set(k, v);
      for (const [k, v] of s.comments) sheet.comments.set(k, v);
      for (const r of s.hiddenRows || []) sheet.hiddenRows.add(r);
      app.book.sheets.push(sheet);
    }
    app.book.active = app.book.sheets[0];
    return app;
  }

  /** The whole state of the book, canonical (sorted), for comparisons. */
  snapshot() {
    const dump = (map) => [...map.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return this.book.sheets.map((s) => ({
      name: s._name, visible: s._visible, values: dump(s.values), formulas: dump(s.formulas),
      fills: dump(s.fills), comments: dump(s.comments), widths: dump(s.widths),
    }));
  }
}

