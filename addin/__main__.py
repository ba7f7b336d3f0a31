"""``python -m addin``: where the add-in is, and (``setup``) tell it which Python to use.

    python -m addin          # print the .xlam path, this interpreter, the PYTHONPATH to use
    python -m addin setup    # write them into the add-in's user config file, and write a copy of
                             # the add-in with them on its config sheet (the one to load in Excel)

The user config file is the one the add-in's (unchanged xlwings) VBA reads:
%USERPROFILE%\\.myaddin\\myaddin.conf on Windows,
~/Library/Containers/com.microsoft.Excel/Data/myaddin.conf on macOS.
The VBA looks for a setting on the active workbook's "myaddin.conf" sheet, then on the add-in's
own config sheet, then in a myaddin.conf file in the active workbook's folder, then in the user
file.  A folder a received workbook came in could therefore redirect the interpreter of an add-in
that leaves it to the user file; the configured copy (%USERPROFILE%\\czcheck\\czcheck_addin.xlam,
~/czcheck/czcheck_addin.xlam elsewhere) carries it on its own sheet, which such a file cannot
override.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from addin import ADDIN_DIR, XLAM_NAME

PROJECT = "myaddin"  # PROJECT_NAME compiled into the template's VBA (tests check it)


def user_config_path(platform: str = sys.platform, home: Path | None = None) -> Path:
    home = home or Path.home()
    if platform == "darwin":
        return home / "Library" / "Containers" / "com.microsoft.Excel" / "Data" / f"{PROJECT}.conf"
    return Path(os.environ.get("USERPROFILE", str(home))) / f".{PROJECT}" / f"{PROJECT}.conf" if platform == "win32" \
        else home / f".{PROJECT}" / f"{PROJECT}.conf"


def interpreter(platform: str = sys.platform) -> str:
    exe = Path(sys.executable)
    if platform == "win32" and exe.name.lower() == "python.exe" and (exe.parent / "pythonw.exe").exists():
        return str(exe.parent / "pythonw.exe")  # no console window flashing on every click
    return str(exe)


def config_lines(platform: str = sys.platform) -> list[str]:
    key = "INTERPRETER_MAC" if platform == "darwin" else "INTERPRETER_WIN"
    return [f'"{key}","{interpreter(platform)}"', f'"PYTHONPATH","{ADDIN_DIR}"']


def configured_addin_path(platform: str = sys.platform, home: Path | None = None) -> Path:
    home = home or Path.home()
    base = Path(os.environ.get("USERPROFILE", str(home))) if platform == "win32" else home
    return base / "czcheck" / XLAM_NAME


def configured_rows(platform: str = sys.platform) -> list[tuple[str, object, str]]:
    key = "Interpreter_Mac" if platform == "darwin" else "Interpreter_Win"
    why = "由 python -m addin setup 写入。写在加载项自己的配置表上，工作簿所在文件夹中的 myaddin.conf 文件就不能改变它。"
    return [(key, interpreter(platform), "本机装有 czcheck 的 Python 解释器。" + why),
            ("PYTHONPATH", str(ADDIN_DIR), "czcheck 的 addin 文件夹。" + why)]


def write_configured_addin(path: Path, platform: str = sys.platform) -> Path:
    """A copy of the add-in whose config sheet names this interpreter and PYTHONPATH."""
    from addin.build_addin import build

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(build(extra=configured_rows(platform)))
    return path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    print(f"加载项文件：{ADDIN_DIR / XLAM_NAME}")
    print(f"Python 解释器：{interpreter()}")
    print(f"PYTHONPATH：{ADDIN_DIR}")
    if args[:1] == ["setup"]:
        path = user_config_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        encoding = "mbcs" if sys.platform == "win32" else "utf-8"  # VBA's Input # reads the ANSI code page
        path.write_text("\r\n".join(config_lines()) + "\r\n", encoding=encoding)
        print(f"已写入加载项配置：{path}")
        copy = write_configured_addin(configured_addin_path())
        print(f"已生成本机专用的加载项（已写入上面的解释器和路径）：{copy}")
        print("请在 Excel 中加载这个文件。")
    elif args:
        print("用法：python -m addin [setup]")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
