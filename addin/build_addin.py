"""Build addin/czcheck_addin.xlam from the ribbon add-in template in the installed xlwings wheel.

    .venv/bin/python addin/build_addin.py            # writes addin/czcheck_addin.xlam
    .venv/bin/python addin/build_addin.py --check    # exit 1 when the committed .xlam is stale

When the xlwings pin in pyproject.toml moves: ``.venv/bin/pip install -e .`` (installs the new
pin), then this script (the .xlam's VBA is the new version's template).  The script refuses to
run when the installed xlwings is not the pinned one.

What changes against the template (quickstart_addin_ribbon.xlam, the file that
``xlwings quickstart NAME --addin --ribbon`` copies):

* customUI/customUI.xml: a 财政校验 tab with one 校验本工作簿 button.  The template's VBA has one
  ribbon callback (RibbonMyAddin.RunMain) that ignores which control called it and runs
  ``import czcheck_addin; czcheck_addin.main()``; a second button (清除标注) would run the same
  main(), so there is none.
* the config sheet: renamed from the template's inactive "_myaddin.conf" to "myaddin.conf" (the
  name the compiled VBA looks for: PROJECT_NAME = "myaddin"), listing the UDF module and hints.
* nothing else: xl/vbaProject.bin and every other part are copied byte for byte.

The zip is written deterministically (template member order, fixed timestamps, fixed
compression level), so rebuilding with the same xlwings gives identical bytes.
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

from addin import ADDIN_DIR, ENTRY_MODULE, UDF_MODULES, XLAM_NAME  # noqa: E402
from addin.vba import module_sources, public_procedures, string_constant  # noqa: E402

TEMPLATE_NAME = "quickstart_addin_ribbon.xlam"
ZIP_DATE = (2024, 1, 1, 0, 0, 0)
VBA_PART = "xl/vbaProject.bin"
CUSTOM_UI = "customUI/customUI.xml"
SHEET_PART = "xl/worksheets/sheet1.xml"
STRINGS_PART = "xl/sharedStrings.xml"
WORKBOOK_PART = "xl/workbook.xml"
TEMPLATE_CONF = "_myaddin.conf"
CALLBACK = "RibbonMyAddin.RunMain"

CUSTOM_UI_XML = f"""<customUI xmlns="http://schemas.microsoft.com/office/2006/01/customui">
    <ribbon>
        <tabs>
            <tab id="czcheckTab" label="财政校验">
                <group id="czcheckGroup" label="公开表校验">
                    <button id="czcheckValidate" label="校验本工作簿" size="large" onAction="{CALLBACK}" imageMso="ReviewAcceptChange"
                        screentip="校验本工作簿"
                        supertip="核对本工作簿中部门预算、决算公开表的勾稽关系：有问题的单元格按严重程度填色并加批注，结果列在“校验结果”工作表中。再次点击会先恢复上次标注过的单元格，再重新标注。" />
                </group>
            </tab>
        </tabs>
    </ribbon>
</customUI>
"""

# (key, value, hint).  Keys are read by the VBA from A1 down to the first blank cell; a key
# present here wins over the user's config file even when its value is blank, so the
# interpreter and PYTHONPATH are not preset (see the hints).
CONFIG_ROWS: list[tuple[str, object, str]] = [
    ("UDF Modules", ";".join(UDF_MODULES), "CZ_ 工作表函数所在的 Python 模块。首次使用须在 Windows Excel 中运行一次 ImportPythonUDFsToAddin 导入。"),
    ("Debug UDFs", False, ""),
    ("Use UDF Server", False, ""),
    ("Show Console", False, "设为 TRUE 可在运行时显示 Python 控制台窗口（排查问题用）。"),
    ("ADD_WORKBOOK_TO_PYTHONPATH", False, "安全设置，请勿改为 TRUE：否则被校验工作簿所在的文件夹会排在 Python 搜索路径最前面，"
     "别人发来的文件夹里若有 validators 文件夹或 openpyxl.py 等同名文件，点击按钮时就会被执行。"),
]
HINTS = [
    "Python 解释器和路径：",
    "· 推荐：在装有 czcheck 的 Python 环境中运行 python -m addin setup：它生成本机专用的加载项 %USERPROFILE%\\czcheck\\czcheck_addin.xlam（解释器和 PYTHONPATH 写在它的配置表上，工作簿所在文件夹中的 myaddin.conf 文件不能改变它们），并写入用户配置文件 %USERPROFILE%\\.myaddin\\myaddin.conf。",
    "· 或者在上方 A、B 两列紧接着添加键和值（中间不要留空行）：Interpreter_Win 例如 C:\\czcheck\\.venv\\Scripts\\pythonw.exe；Interpreter_Mac 例如 /Users/用户名/czcheck/.venv/bin/python；PYTHONPATH 为 czcheck 的 addin 文件夹。",
    "· 出于安全考虑（见 ADD_WORKBOOK_TO_PYTHONPATH），工作簿和加载项所在的文件夹都不会自动加入 PYTHONPATH：请用 python -m addin setup 写入 czcheck 的 addin 文件夹。",
    f"· 功能区按钮运行 import {ENTRY_MODULE}; {ENTRY_MODULE}.main()，所以模块名必须与加载项文件名 {XLAM_NAME} 一致。",
]


def pinned_xlwings(pyproject: Path = HERE.parent / "pyproject.toml") -> str:
    """The exact xlwings version pyproject.toml pins (the one compiled into the .xlam's VBA)."""
    import re
    import tomllib

    deps = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    for dep in deps:
        m = re.fullmatch(r"xlwings\s*==\s*([\w.]+)", dep.strip())
        if m:
            return m.group(1)
    raise SystemExit("pyproject.toml must pin xlwings exactly (xlwings==X.Y.Z): the .xlam's VBA loads that version's DLL")


def check_pin() -> str:
    """The installed xlwings must be the pinned one: the .xlam is built from its template."""
    from importlib.metadata import version

    pin, installed = pinned_xlwings(), version("xlwings")
    if pin != installed:
        raise SystemExit(f"xlwings {installed} is installed but pyproject.toml pins {pin}: "
                         f"run `.venv/bin/pip install -e .` first, then addin/build_addin.py")
    return pin


def template_path() -> Path:
    import xlwings

    return Path(xlwings.__file__).resolve().parent / TEMPLATE_NAME


def _shared_strings(strings: list[str]) -> str:
    items = "".join(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in strings)
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>')


def config_parts(extra: list[tuple[str, object, str]] | None = None) -> tuple[str, str]:
    """(sheet1.xml, sharedStrings.xml) of the config sheet; ``extra`` rows follow CONFIG_ROWS."""
    strings: list[str] = []

    def sidx(text: str) -> int:
        if text not in strings:
            strings.append(text)
        return strings.index(text)

    rows = []
    config_rows = CONFIG_ROWS + list(extra or [])
    for r, (key, value, hint) in enumerate(config_rows, start=1):
        cells = [f'<c r="A{r}" s="1" t="s"><v>{sidx(key)}</v></c>']
        if isinstance(value, bool):
            cells.append(f'<c r="B{r}" s="1" t="b"><v>{int(value)}</v></c>')
        else:
            cells.append(f'<c r="B{r}" s="1" t="s"><v>{sidx(str(value))}</v></c>')
        if hint:
            cells.append(f'<c r="C{r}" s="1" t="s"><v>{sidx(hint)}</v></c>')
        rows.append(f'<row r="{r}">{"".join(cells)}</row>')
    start = len(config_rows) + 2
    for i, hint in enumerate(HINTS):
        r = start + i
        rows.append(f'<row r="{r}"><c r="C{r}" s="1" t="s"><v>{sidx(hint)}</v></c></row>')
    last = start + len(HINTS) - 1
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheetPr codeName="Sheet2" /><dimension ref="A1:C{last}" />'
        '<sheetViews><sheetView tabSelected="1" workbookViewId="0"><selection activeCell="B1" sqref="B1" /></sheetView></sheetViews>'
        '<sheetFormatPr defaultColWidth="8.875" defaultRowHeight="15.75" />'
        '<cols><col min="1" max="1" width="16" style="1" customWidth="1" /><col min="2" max="2" width="16" style="1" customWidth="1" />'
        '<col min="3" max="3" width="100" style="1" customWidth="1" /></cols>'
        f'<sheetData>{"".join(rows)}</sheetData>'
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3" /></worksheet>'
    )
    return sheet, _shared_strings(strings)


def config_sheet_name(vba: bytes) -> str:
    project = string_constant(module_sources(vba), "PROJECT_NAME")
    if not project:
        raise SystemExit("the template's VBA has no PROJECT_NAME constant; cannot name the config sheet")
    return f"{project}.conf"


def build(template: Path | None = None, extra: list[tuple[str, object, str]] | None = None) -> bytes:
    """The .xlam's bytes; ``extra`` config rows (``python -m addin setup``: this machine's interpreter
    and PYTHONPATH) make a configured copy."""
    template = template or template_path()
    with zipfile.ZipFile(template) as src:
        members = [(info.filename, src.read(info.filename)) for info in src.infolist()]
    parts = dict(members)
    vba = parts[VBA_PART]
    sources = module_sources(vba)
    module, _, proc = CALLBACK.partition(".")
    if proc not in public_procedures(sources.get(module, "")):
        raise SystemExit(f"the template's VBA has no {CALLBACK}; the xlwings template changed")
    conf = config_sheet_name(vba)
    workbook = parts[WORKBOOK_PART].decode("utf-8")
    if f'name="{TEMPLATE_CONF}"' not in workbook:
        raise SystemExit(f"the template has no sheet {TEMPLATE_CONF}; the xlwings template changed")
    sheet_xml, strings_xml = config_parts(extra)
    replaced = {
        CUSTOM_UI: CUSTOM_UI_XML.encode("utf-8"),
        SHEET_PART: sheet_xml.encode("utf-8"),
        STRINGS_PART: strings_xml.encode("utf-8"),
        WORKBOOK_PART: workbook.replace(f'name="{TEMPLATE_CONF}"', f'name="{escape(conf)}"').encode("utf-8"),
    }
    from io import BytesIO

    out = BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 0
            dst.writestr(info, replaced.get(name, data), compresslevel=9)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build addin/czcheck_addin.xlam from the xlwings ribbon add-in template.")
    parser.add_argument("--check", action="store_true", help="only compare with the committed .xlam")
    parser.add_argument("--out", type=Path, default=ADDIN_DIR / XLAM_NAME)
    args = parser.parse_args(argv)
    check_pin()
    data = build()
    if args.check:
        same = args.out.exists() and args.out.read_bytes() == data
        print(f"{args.out.name}: {'up to date' if same else 'STALE: run addin/build_addin.py'}")
        return 0 if same else 1
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
