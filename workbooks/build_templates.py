"""Rebuild the template workbooks (workbooks/templates/) and the samples imported from the seeds
(workbooks/samples/).  Run from the repository root:

    .venv/bin/python workbooks/build_templates.py

Templates are generated from the profiles in validators/schemas/*.toml; samples from the seed
texts in ../shared/seeds (skipped when that folder is absent).
"""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from validators import schemas  # noqa: E402
from validators.checksheet import add_check_sheet  # noqa: E402
from validators.importing import import_seed  # noqa: E402
from validators.workbook_writer import write_workbook  # noqa: E402

SEEDS = ROOT.parent / "shared" / "seeds"
# seed file prefix -> sample workbook name
SAMPLES = {
    "000": "yantai-2024-budget.xlsx",  # 烟台市医疗保障局 2024 部门预算
    "004": "zibo-2024-budget.xlsx",  # 淄博市医疗保障局 2024 部门预算
    "002": "weihai-2024-final-accounts.xlsx",  # 威海市医疗保障局 2024 部门决算
    "003": "yantai-2019-final-accounts.xlsx",  # 烟台市医疗保障局 2019 部门决算 (tables flattened in the seed)
    "001": "yanbian-2024-budget.xlsx",  # 延边朝鲜族自治州医疗保障局 2024 部门预算 (吉林 预算表1–9)
}


FIXED_TIME = (2024, 1, 1, 0, 0, 0)
_STAMP = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def freeze(path: Path) -> None:
    """Make a generated workbook reproducible: fixed document timestamps (openpyxl stamps the save
    time) and fixed zip entry times, so rebuilding unchanged content gives identical bytes."""
    with zipfile.ZipFile(path) as zin:
        entries = [(info, zin.read(info.filename)) for info in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in entries:
            if info.filename == "docProps/core.xml":
                data = _STAMP.sub(rb"\g<1>2024-01-01T00:00:00Z\g<2>", data)
            fixed = zipfile.ZipInfo(info.filename, FIXED_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            zout.writestr(fixed, data)


def main() -> None:
    for profile in schemas.profiles().values():
        out = write_workbook(profile, ROOT / "workbooks" / "templates" / profile.template)
        checks = add_check_sheet(out)
        freeze(out)
        print(f"template: {out.relative_to(ROOT)}  ({checks} checks)")
    if not SEEDS.is_dir():
        print(f"no seeds at {SEEDS}; samples not rebuilt")
        return
    for prefix, name in SAMPLES.items():
        seed = next(SEEDS.glob(f"{prefix}_*.txt"))
        out, notes = import_seed(seed, ROOT / "workbooks" / "samples" / name)
        checks = add_check_sheet(out)
        freeze(out)
        print(f"sample:   {out.relative_to(ROOT)}  ({len(notes)} import notes, {checks} checks)")


if __name__ == "__main__":
    main()
