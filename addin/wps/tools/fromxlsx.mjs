// Build a fake WPS Application (fakewps.mjs) from an .xlsx read with exceljs (pinned in package.json).
import { posix } from "node:path";
import { readFileSync } from "node:fs";
import ExcelJS from "exceljs";
import JSZip from "jszip";
import { FakeApplication, Sheet } from "./fakewps.mjs";

const CV_ERRORS = {
  "#DIV/0!": -2146826281, "#N/A": -2146826246, "#NAME?": -2146826259, "#NULL!": -2146826288,
  "#NUM!": -2146826252, "#REF!": -2146826265, "#VALUE!": -2146826273,
};
const key = (r, c) => `${r},${c}`;
const EXCEL_EPOCH = Date.UTC(1899, 11, 30);

function plain(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") return v;
  if (v instanceof Date) return (v.getTime() - EXCEL_EPOCH) / 86400000; // Value2 gives the serial number
  if (typeof v === "object") {
    if ("error" in v) return CV_ERRORS[v.error] ?? CV_ERRORS["#VALUE!"];
    if ("richText" in v) return v.richText.map((t) => t.text).join("");
    if ("formula" in v || "sharedFormula" in v) return "result" in v ? plain(v.result) : null;
    if ("text" in v) return plain(v.text);
  }
  return String(v);
}

function fillColor(fill) {
  if (!fill || fill.type !== "pattern" || !fill.pattern || fill.pattern === "none") return undefined;
  const color = fill.pattern === "solid" ? fill.fgColor : fill.bgColor || fill.fgColor;
  const argb = color && typeof color.argb === "string" ? color.argb : null;
  if (argb) {
    const h = argb.slice(-6);
    return parseInt(h.slice(0, 2), 16) + parseInt(h.slice(2, 4), 16) * 256 + parseInt(h.slice(4, 6), 16) * 65536;
  }
  // a theme or indexed colour: WPS would resolve it; the fake gives a stable stand-in
  let hash = 7;
  for (const ch of JSON.stringify(color || fill)) hash = (hash * 31 + ch.charCodeAt(0)) % 0xFFFFFF;
  return hash;
}

function noteText(note) {
  if (!note) return undefined;
  if (typeof note === "string") return note;
  if (Array.isArray(note.texts)) return note.texts.map((t) => t.text).join("");
  return undefined;
}

// exceljs finds parts by their usual names (xl/worksheets/sheetN.xml, xl/commentsN.xml,
// xl/drawings/vmlDrawingN.vml, relative targets); other writers (openpyxl: xl/comments/comment1.xml
// with absolute targets) are valid too.  The package is renamed to the usual names first.
const REL = /<Relationship\b[^>]*?\/?>/g;
const attr = (tag, name) => {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m ? m[1] : null;
};
const relsOf = (part) => posix.join(posix.dirname(part), "_rels", posix.basename(part) + ".rels");
const resolveTarget = (source, target) => (target.startsWith("/") ? target.slice(1)
  : posix.normalize(posix.join(posix.dirname(source), target)));

const MAX_INFLATED = 512 * 1024 * 1024; // declared size of all parts: more is refused (a zip bomb)

async function normalized(bytes) {
  const zip = await JSZip.loadAsync(bytes);
  let declared = 0;
  for (const entry of Object.values(zip.files)) declared += (entry._data && entry._data.uncompressedSize) || 0;
  if (declared > MAX_INFLATED) throw new Error(`解压后超过 ${MAX_INFLATED / 1048576} MB`);
  const wbRels = zip.file("xl/_rels/workbook.xml.rels");
  if (!wbRels || !zip.file("xl/workbook.xml")) return bytes;
  const moves = new Map(); // old part -> new part
  const rewritten = new Map(); // new rels part -> text
  let sheetNo = 0;
  const wbText = (await wbRels.async("string")).replace(REL, (tag) => {
    const type = attr(tag, "Type") || "", target = attr(tag, "Target");
    if (!target || attr(tag, "TargetMode") === "External") return tag;
    const old = resolveTarget("xl/workbook.xml", target);
    let now = null;
    if (type.endsWith("/worksheet")) now = `xl/worksheets/sheet${++sheetNo}.xml`;
    else if (type.endsWith("/sharedStrings")) now = "xl/sharedStrings.xml";
    else if (type.endsWith("/styles")) now = "xl/styles.xml";
    if (!now) return tag;
    moves.set(old, now);
    return tag.replace(/\sTarget="[^"]*"/, ` Target="${posix.relative("xl", now)}"`);
  });
  rewritten.set("xl/_rels/workbook.xml.rels", wbText);
  for (const [old, now] of [...moves]) {
    if (!now.startsWith("xl/worksheets/")) continue;
    const n = /sheet(\d+)\.xml$/.exec(now)[1];
    const rels = zip.file(relsOf(old));
    if (!rels) continue;
    moves.set(relsOf(old), relsOf(now));
    const text = (await rels.async("string")).replace(REL, (tag) => {
      const type = attr(tag, "Type") || "", target = attr(tag, "Target");
      if (!target || attr(tag, "TargetMode") === "External") return tag;
      const part = resolveTarget(old, target);
      let dest = part;
      if (type.endsWith("/comments")) dest = `xl/comments${n}.xml`;
      else if (type.endsWith("/vmlDrawing")) dest = `xl/drawings/vmlDrawing${n}.vml`;
      if (dest !== part) moves.set(part, dest);
      return tag.replace(/\sTarget="[^"]*"/, ` Target="${posix.relative("xl/worksheets", dest)}"`);
    });
    rewritten.set(relsOf(now), text);
  }
  const out = new JSZip();
  const taken = new Set([...moves.values()]);
  for (const name of Object.keys(zip.files)) {
    const entry = zip.files[name];
    if (entry.dir) continue;
    const now = moves.get(name) || name;
    if (!moves.has(name) && taken.has(name)) continue; // a leftover part under a name now used
    if (rewritten.has(now)) continue;
    if (/^xl\/worksheets\/sheet\d+\.xml$/.test(now)) {
      out.file(now, withoutOverlappingMerges(await entry.async("string")));
      continue;
    }
    if (/^xl\/comments\d+\.xml$/.test(now)) {
      // a comment of plain text (<text><t>…</t></text>, no runs) is read by exceljs as empty
      const text = (await entry.async("string"))
        .replace(/<text>\s*<t(\b[^>]*)>([\s\S]*?)<\/t>\s*<\/text>/g, "<text><r><t$1>$2</t></r></text>")
        .replace(/<text>\s*<t(\b[^>]*)\/>\s*<\/text>/g, "<text><r><t$1/></r></text>");
      out.file(now, text);
      continue;
    }
    out.file(now, await entry.async("uint8array"));
  }
  for (const [name, text] of rewritten) out.file(name, text);
  return out.generateAsync({ type: "nodebuffer" });
}

// Overlapping merged ranges (Excel repairs them on opening; exceljs refuses the file): the first stays.
function withoutOverlappingMerges(xml) {
  const block = /<mergeCells\b[^>]*>([\s\S]*?)<\/mergeCells>/.exec(xml);
  if (!block) return xml;
  const kept = [];
  const boxes = [];
  for (const m of block[1].matchAll(/<mergeCell\b[^>]*\bref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"[^>]*\/>/g)) {
    const col = (t) => [...t].reduce((n, ch) => n * 26 + ch.charCodeAt(0) - 64, 0);
    const box = { r1: +m[2], c1: col(m[1]), r2: +(m[4] || m[2]), c2: col(m[3] || m[1]) };
    if (boxes.some((b) => b.r1 <= box.r2 && box.r1 <= b.r2 && b.c1 <= box.c2 && box.c1 <= b.c2)) continue;
    boxes.push(box);
    kept.push(m[0]);
  }
  return xml.slice(0, block.index) + `<mergeCells count="${kept.length}">${kept.join("")}</mergeCells>`
    + xml.slice(block.index + block[0].length);
}

export async function fakeFromXlsx(path, bookName) {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(await normalized(readFileSync(path)));
  const app = new FakeApplication(bookName);
  workbook.eachSheet((ws) => {
    const sheet = new Sheet(app, ws.name);
    sheet._visible = ws.state === "hidden" ? 0 : ws.state === "veryHidden" ? 2 : -1;
    for (const row of ws._rows || []) if (row && row.hidden) sheet.hiddenRows.add(row.number); // rows without values too
    ws.eachRow({ includeEmpty: false }, (row, r) => {
      row.eachCell({ includeEmpty: true }, (cell, c) => {
        const k = key(r, c);
        const slave = cell.isMerged && cell.master && cell.master.address !== cell.address;
        const v = slave ? null : plain(cell.value);
        if (v !== null && v !== "") sheet.values.set(k, v);
        const color = fillColor(cell.fill);
        if (color !== undefined) sheet.fills.set(k, color);
        const text = slave ? undefined : noteText(cell.note);
        if (text !== undefined) sheet.comments.set(k, text);
      });
    });
    app.book.sheets.push(sheet);
  });
  if (!app.book.sheets.length) throw new Error("fake WPS: the workbook has no worksheet");
  app.book.active = app.book.sheets[0];
  return app;
}
