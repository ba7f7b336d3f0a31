"""Build the offline install folder for offices without internet access or a package index.

    .venv/bin/python addin/build_bundle.py                # dist/czcheck-离线安装包/ with czcheck's wheel
    .venv/bin/python addin/build_bundle.py --download     # ... plus every Windows dependency's wheel
    .venv/bin/python addin/build_bundle.py --check DIR    # check a built folder, exit 1 on problems

The folder (copy it whole to the office computer, e.g. to C:\\czcheck):

    安装.bat            creates .venv next to itself with the machine's 64-bit Python 3.11, installs
                        czcheck from wheels\\ only (pip --no-index), runs `python -m addin setup`
    wheels\\             czcheck-<version>-py3-none-any.whl, built from this repository; with
                        --download also the win_amd64 / cp311 wheels of all its dependencies
                        (pip download --platform win_amd64 --only-binary=:all: --python-version 3.11)
    czcheck_addin.xlam  the add-in as built (setup writes the configured copy users load)
    requirements.txt    what 安装.bat installs
    说明.txt            these steps in Chinese

pip evaluates environment markers of the *host* while downloading for another platform, so the
dependencies that only Windows needs (pywin32 for xlwings, tzdata for pandas) are named
explicitly.  The Windows-only step (running 安装.bat) cannot be run here; everything up to it is
checked by tests/test_addin_bundle.py.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from addin import XLAM_NAME  # noqa: E402

BUNDLE_NAME = "czcheck-离线安装包"
BAT_NAME = "安装.bat"
README_NAME = "说明.txt"
WINDOWS_ONLY = ("pywin32>=224", "tzdata")  # markers pip cannot evaluate for the target while on Linux
PLATFORM = ("--platform", "win_amd64", "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311")
BAT_ENCODING = "gbk"  # cmd.exe reads a batch file in the console code page: 936 on Chinese Windows

BAT = r"""@echo off
setlocal
cd /d "%~dp0"
set "TARGET=%~dp0.venv"
set "PY="
where py >nul 2>nul && set "PY=py -3.11"
if not defined PY where python >nul 2>nul && set "PY=python"
if not defined PY (
  echo 没有找到 Python。请先安装 64 位的 Python 3.11，安装时勾选“Add python.exe to PATH”，然后重新运行本文件。
  goto :fail
)
%PY% -c "import sys; raise SystemExit(0 if sys.version_info[:2] == (3, 11) and sys.maxsize > 2**32 else 1)"
if errorlevel 1 (
  echo 需要 64 位的 Python 3.11：本安装包中的组件是为它准备的。
  goto :fail
)
echo 正在创建 Python 环境：%TARGET%
%PY% -m venv "%TARGET%" || goto :fail
echo 正在从本文件夹安装 czcheck（不需要联网）……
"%TARGET%\Scripts\python.exe" -m pip install --no-index --find-links "%~dp0wheels" -r "%~dp0requirements.txt" || goto :fail
"%TARGET%\Scripts\python.exe" -m addin setup || goto :fail
echo.
echo 安装完成。请打开 Excel，按“说明.txt”第 3 步加载上面显示的本机专用加载项 czcheck_addin.xlam。
pause
exit /b 0
:fail
echo.
echo 安装没有完成。请把本窗口的内容截图发给维护人员。
pause
exit /b 1
"""

README = """czcheck 离线安装包（财政公开表校验 Excel 加载项）

1. 把整个文件夹复制到固定位置，例如 C:\\czcheck（路径中最好不要有空格）。以后不要移动它。
2. 电脑上需要 64 位的 Python 3.11（可由信息化人员从 Python 官方安装程序离线安装，安装时勾选“Add python.exe to PATH”）。
   双击“安装.bat”：它在本文件夹中创建 .venv 环境，只从 wheels 文件夹安装 czcheck 及其依赖（不联网），
   再运行 python -m addin setup，把 Python 的位置写入加载项的用户配置文件。
3. 打开 Excel →“文件”→“选项”→“加载项”→“管理：Excel 加载项”→“转到”→“浏览”，选中安装.bat 最后显示的
   本机专用加载项 %USERPROFILE%\\czcheck\\czcheck_addin.xlam（已写入本机 Python 的位置；本文件夹中的同名文件未配置，
   不要直接加载它），功能区出现“财政校验”选项卡即可使用。
4. 要使用 CZ_ 工作表函数，请按 czcheck 文档“在 Excel 中使用 czcheck”第三节第 4 步导入一次。
"""


def requirements(version: str) -> list[str]:
    return [f"czcheck=={version}"]


def dependencies() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return list(project["dependencies"]) + list(WINDOWS_ONLY)


def project_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def build_wheel(dest: Path, isolated: bool = True) -> Path:
    """czcheck's wheel from this repository: an isolated PEP 517 build of the working tree, or
    (``isolated=False``, the tests' quick path) one with this environment's setuptools and wheel."""
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        flags = [] if isolated else ["--no-build-isolation"]
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", *flags, "-q", "-w", tmp, str(ROOT)], check=True)
        (wheel,) = Path(tmp).glob("czcheck-*.whl")
        target = dest / wheel.name
        shutil.copyfile(wheel, target)
    return target


def download_windows_wheels(wheel: Path, dest: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--dest", str(dest), *PLATFORM,
                    "--only-binary=:all:", str(wheel), *WINDOWS_ONLY], check=True)


def build(out: Path, download: bool = False, isolated: bool = True) -> Path:
    from addin.build_addin import build as build_xlam, check_pin

    check_pin()
    xlam = HERE / XLAM_NAME
    if build_xlam() != xlam.read_bytes():
        raise SystemExit(f"{xlam} is stale: run addin/build_addin.py first")
    bundle = out / BUNDLE_NAME
    if bundle.exists():
        shutil.rmtree(bundle)
    wheels = bundle / "wheels"
    wheel = build_wheel(wheels, isolated=isolated)
    if download:
        download_windows_wheels(wheel, wheels)
    shutil.copyfile(xlam, bundle / XLAM_NAME)
    (bundle / "requirements.txt").write_text("\r\n".join(requirements(project_version())) + "\r\n", encoding="utf-8")
    (bundle / BAT_NAME).write_bytes(BAT.replace("\n", "\r\n").encode(BAT_ENCODING))
    (bundle / README_NAME).write_bytes(b"\xef\xbb\xbf" + README.replace("\n", "\r\n").encode("utf-8"))
    return bundle


def _wheel_requires(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as z:
        meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        text = z.read(meta).decode("utf-8")
    found = [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("Requires-Dist:")]
    return [r for r in found if "extra ==" not in r]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def check(bundle: Path, full: bool = False) -> list[str]:
    """Problems of a built folder (empty when it is complete).  ``full``: every Windows dependency
    must have its wheel in wheels/."""
    problems = []
    version = project_version()
    wheels = bundle / "wheels"
    ours = sorted(wheels.glob(f"czcheck-{version}-py3-none-any.whl"))
    if not ours:
        return [f"wheels/ has no czcheck-{version} wheel"]
    with zipfile.ZipFile(ours[0]) as z:
        names = set(z.namelist())
        if f"addin/{XLAM_NAME}" not in names or z.read(f"addin/{XLAM_NAME}") != (HERE / XLAM_NAME).read_bytes():
            problems.append("the wheel's add-in is not the repository's")
        for needed in ("addin/czcheck_addin.py", "addin/czcheck_udfs.py", "addin/__main__.py", "validators/rules/__init__.py"):
            if needed not in names:
                problems.append(f"the wheel lacks {needed}")
        if not any(n.startswith("validators/schemas/") and n.endswith(".toml") for n in names):
            problems.append("the wheel lacks the schema TOML files")
    declared = [d for d in dependencies() if d not in WINDOWS_ONLY]
    required = _wheel_requires(ours[0])
    if sorted(map(_name, required)) != sorted(map(_name, declared)):
        problems.append("the wheel's requirements differ from pyproject.toml")
    pin = next(d for d in declared if _name(d) == "xlwings").split("#")[0].replace(" ", "")
    if pin not in [r.replace(" ", "") for r in required]:
        problems.append(f"the wheel does not pin {pin}")
    copied = bundle / XLAM_NAME
    if not copied.exists() or copied.read_bytes() != (HERE / XLAM_NAME).read_bytes():
        problems.append(f"{XLAM_NAME} is missing or differs from the repository's")
    bat = bundle / BAT_NAME
    if not bat.exists():
        problems.append(f"{BAT_NAME} is missing")
    else:
        text = bat.read_bytes().decode(BAT_ENCODING)
        for needed in ("--no-index", '--find-links "%~dp0wheels"', "-m addin setup", "-m venv"):
            if needed not in text:
                problems.append(f"{BAT_NAME} does not run {needed}")
    if (bundle / "requirements.txt").read_text(encoding="utf-8").split() != requirements(version):
        problems.append("requirements.txt does not name exactly this czcheck version")
    if full:
        present = {re.split(r"-\d", w.name, maxsplit=1)[0].lower().replace("_", "-") for w in wheels.glob("*.whl")}
        for dep in dependencies():
            name = _name(dep)
            if name not in present:
                problems.append(f"wheels/ has no wheel for {name}")
        for w in wheels.glob("*.whl"):
            tag = w.name[:-4].split("-")[-1]
            if tag not in ("any", "win_amd64"):
                problems.append(f"{w.name} is not for 64-bit Windows")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the czcheck offline install folder.")
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument("--download", action="store_true", help="also download every Windows dependency's wheel")
    parser.add_argument("--check", type=Path, metavar="DIR", help="only check a built folder")
    args = parser.parse_args(argv)
    if args.check:
        problems = check(args.check, full=True)
        print("\n".join(problems) or "complete")
        return 1 if problems else 0
    bundle = build(args.out, download=args.download)
    problems = check(bundle, full=args.download)
    print(f"wrote {bundle}")
    print("\n".join(problems) or ("complete" if args.download else "complete except the Windows wheels (--download)"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
