"""``python -m addin``: where the add-in is, and (``setup``) tell it which Python to use.

    python -m addin          # print the .xlam path, this interpreter, the PYTHONPATH to use
    python -m addin setup    # write them into the add-in's user config file

The user config file is the one the add-in's (unchanged xlwings) VBA reads:
%USERPROFILE%\\.myaddin\\myaddin.conf on Windows,
~/Library/Containers/com.microsoft.Excel/Data/myaddin.conf on macOS.
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
    elif args:
        print("用法：python -m addin [setup]")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
