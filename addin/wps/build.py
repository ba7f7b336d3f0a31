"""Build the offline WPS 加载项: dist/czcheck-wps/ and dist/czcheck-wps.zip.

    python addin/wps/build.py [--out DIR]

The folder holds everything WPS needs, nothing is fetched at run time:

    czcheck-wps/
      czcheck_<version>/     the add-in: index.html, main.js, ribbon.xml, taskpane.html, manifest.xml,
                             pyodide/ (the runtime, copied from npm's pinned pyodide package, installed
                             by addin/pyodide/install.sh), engine.zip (the engine's Python sources,
                             packed from THIS checkout: validators/ and the addin modules it needs),
                             files/*.js (the binary files again as base64 scripts, for file:// pages)
      publish.xml            the jsaddons registration (offline mode) naming czcheck_<version>
      jsplugins.xml          the same add-in for the jsplugins.xml mode (oem.ini JSPluginsServer)
      安装.bat / install.sh  copy the add-in into the user's jsaddons folder (Windows / Linux)
      说明.txt

Exit status 2 with a message when the Pyodide runtime cannot be installed (no npm).
The zip is deterministic: the same sources give the same bytes.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PYODIDE_PKG = ROOT / "addin" / "pyodide" / "node_modules" / "pyodide"
ADDIN_FILES = ("index.html", "main.js", "ribbon.xml", "taskpane.html", "manifest.xml")
PYODIDE_FILES = ("pyodide.js", "pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip",
                 "pyodide-lock.json", "package.json", "LICENSE")
ENGINE_MODULES = ("addin/__init__.py", "addin/excel.py", "addin/gridjson.py", "addin/wps_plan.py")
NAME = "czcheck"
# binary files a file:// page may not fetch: also shipped as files/NAME.js (base64), see main.js
EMBEDDED = {"pyodide.asm.wasm": "pyodide/pyodide.asm.wasm", "python_stdlib.zip": "pyodide/python_stdlib.zip",
            "pyodide-lock.json": "pyodide/pyodide-lock.json", "engine.zip": "engine.zip"}
ZIP_TIME = (2024, 1, 1, 0, 0, 0)


def version() -> str:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r'^version\s*=\s*"([^"]+)"', text, re.M)
    return match.group(1) if match else "0.0.0"


def engine_files() -> list[tuple[str, Path]]:
    """(name in engine.zip, source) for the engine: validators/ (Python and its data) and the
    addin modules the WPS door imports.  Caches and compiled files are left out."""
    out = []
    for path in sorted((ROOT / "validators").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix in (".py", ".toml", ".json", ".txt"):
            out.append((path.relative_to(ROOT).as_posix(), path))
    out += [(name, ROOT / name) for name in ENGINE_MODULES]
    return out


def _write_zip(target: Path, entries: list[tuple[str, bytes]]) -> None:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, data in sorted(entries):
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)


def ensure_pyodide() -> None:
    if (PYODIDE_PKG / "pyodide.asm.wasm").is_file():
        return
    if shutil.which("npm") is None:
        raise SystemExit("无法生成 WPS 加载项：需要 npm 安装 Pyodide 运行环境（addin/pyodide/install.sh），本机没有 npm。")
    subprocess.run(["bash", str(ROOT / "addin" / "pyodide" / "install.sh")], check=True, timeout=900)


def publish_xml(folder: str, ver: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<jsplugins>\n'
            f'  <jsplugin name="{NAME}" type="et" url="{folder}" version="{ver}" enable="enable_dev" install="null" '
            'customDomain=""/>\n</jsplugins>\n')


def jsplugins_xml(ver: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<!-- jsplugins.xml 模式：url 改为加载项压缩包的实际位置'
            '（本机路径 file:///… 或内网服务器地址），并在 oem.ini 的 [Server] 中设置 JSPluginsServer 指向本文件。 -->\n'
            f'<jsplugins>\n  <jsplugin name="{NAME}" type="et" url="file:///C:/czcheck-wps/{NAME}_{ver}.zip" '
            f'version="{ver}" enable="true"/>\n</jsplugins>\n')


INSTALL_BAT = r"""@echo off
chcp 65001 >nul
rem czcheck WPS 加载项离线安装：复制到 %APPDATA%\kingsoft\wps\jsaddons 并登记到 publish.xml
set "SRC=%~dp0"
set "DEST=%APPDATA%\kingsoft\wps\jsaddons"
if not exist "%DEST%" mkdir "%DEST%"
xcopy /E /I /Y /Q "%SRC%{folder}" "%DEST%\{folder}" >nul || goto :fail
if not exist "%DEST%\publish.xml" (
  copy /Y "%SRC%publish.xml" "%DEST%\publish.xml" >nul || goto :fail
) else (
  findstr /C:"url=\"{folder}\"" "%DEST%\publish.xml" >nul || powershell -NoProfile -ExecutionPolicy Bypass -Command "$p=Join-Path $env:APPDATA 'kingsoft\wps\jsaddons\publish.xml'; $t=[IO.File]::ReadAllText($p); $t=[regex]::Replace($t,'\s*<jsplugin [^>]*name=\"{name}\"[^>]*/>',''); $t=$t.Replace('</jsplugins>','  {entry}' + [char]10 + '</jsplugins>'); [IO.File]::WriteAllText($p,$t)" || goto :fail
)
echo 安装完成：请完全退出 WPS 后重新打开 WPS 表格，功能区会出现“财政校验”选项卡。
pause
exit /b 0
:fail
echo 安装失败：请确认有权限写入 %DEST% ，或按“说明.txt”手工复制。
pause
exit /b 1
"""

INSTALL_SH = """#!/bin/sh
# czcheck WPS 加载项离线安装（Linux / 麒麟 / 统信）：复制到 ~/.local/share/Kingsoft/wps/jsaddons 并登记到 publish.xml
set -e
SRC=$(cd "$(dirname "$0")" && pwd)
DEST="${{HOME}}/.local/share/Kingsoft/wps/jsaddons"
mkdir -p "$DEST"
rm -rf "$DEST/{folder}"
cp -R "$SRC/{folder}" "$DEST/{folder}"
if [ ! -f "$DEST/publish.xml" ]; then
  cp "$SRC/publish.xml" "$DEST/publish.xml"
elif ! grep -q 'url="{folder}"' "$DEST/publish.xml"; then
  sed -i -e '/<jsplugin [^>]*name="{name}"/d' -e 's#</jsplugins>#  {entry}\\n</jsplugins>#' "$DEST/publish.xml"
fi
echo "安装完成：请完全退出 WPS 后重新打开 WPS 表格，功能区会出现“财政校验”选项卡。"
echo "若没有出现：请管理员确认 /opt/kingsoft/wps-office/office6/cfgs/oem.ini 的 [Support] 中有 JsApiPlugin=true。"
"""

README_TXT = """czcheck 财政公开表校验 — WPS 表格加载项 {ver}（离线安装包）

本文件夹包含加载项 {folder}\\（含 Pyodide 运行环境和校验引擎），安装和使用都不需要联网，也不需要安装 Python。

Windows：双击“安装.bat”。
Linux（麒麟、统信等）：在终端执行 sh install.sh。
安装后完全退出 WPS 再打开 WPS 表格，功能区出现“财政校验”选项卡：校验本工作簿 / 清除标注 / 关于。

手工安装：把 {folder} 文件夹复制到
  Windows：%APPDATA%\\kingsoft\\wps\\jsaddons\\
  Linux：  ~/.local/share/Kingsoft/wps/jsaddons/
并把 publish.xml 中的 <jsplugin …/> 一行加入该文件夹的 publish.xml（没有则直接复制 publish.xml）。

详细说明（oem.ini 设置、jsplugins.xml 集中部署、已知限制）见 czcheck 仓库 docs/wps-addin.md。
"""


def build(out: Path) -> Path:
    ensure_pyodide()
    ver = version()
    folder = f"{NAME}_{ver}"
    if out.exists():
        shutil.rmtree(out)
    addin = out / folder
    (addin / "pyodide").mkdir(parents=True)
    for name in ADDIN_FILES:
        shutil.copyfile(HERE / name, addin / name)
    for name in PYODIDE_FILES:
        if (PYODIDE_PKG / name).is_file():
            shutil.copyfile(PYODIDE_PKG / name, addin / "pyodide" / name)
    _write_zip(addin / "engine.zip", [(name, path.read_bytes()) for name, path in engine_files()])
    (addin / "files").mkdir()
    for name, path in EMBEDDED.items():
        data = base64.b64encode((addin / path).read_bytes()).decode("ascii")
        (addin / "files" / f"{name}.js").write_text(
            f"(window.CZCHECK_FILES = window.CZCHECK_FILES || {{}})[{json.dumps(name)}] = \"{data}\";\n", encoding="ascii")
    entry = publish_xml(folder, ver).splitlines()[2].strip()
    (out / "publish.xml").write_text(publish_xml(folder, ver), encoding="utf-8")
    (out / "jsplugins.xml").write_text(jsplugins_xml(ver), encoding="utf-8")
    fmt = {"folder": folder, "name": NAME, "entry": entry.replace('"', '\\"'), "ver": ver}
    (out / "安装.bat").write_bytes(INSTALL_BAT.format(**fmt).replace("\n", "\r\n").encode("utf-8"))
    (out / "install.sh").write_text(INSTALL_SH.format(**{**fmt, "entry": entry.replace("#", r"\#")}), encoding="utf-8")
    (out / "install.sh").chmod(0o755)
    (out / "说明.txt").write_bytes(README_TXT.format(**fmt).replace("\n", "\r\n").encode("utf-8"))
    archive = out.parent / f"{out.name}.zip"
    _write_zip(archive, [(f"{out.name}/{p.relative_to(out).as_posix()}", p.read_bytes())
                         for p in sorted(out.rglob("*")) if p.is_file()])
    return addin


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the offline czcheck WPS add-in folder and zip.")
    parser.add_argument("--out", type=Path, default=ROOT / "dist" / "czcheck-wps")
    args = parser.parse_args(argv)
    addin = build(args.out.resolve())
    print(f"WPS 加载项：{addin}")
    print(f"离线安装包：{args.out.resolve().parent / (args.out.name + '.zip')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
