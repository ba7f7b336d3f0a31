"""``czcheck archive add|list|show`` and the ``validate --archive/--with`` pass (kept out of cli.py)."""

from __future__ import annotations

import sys
from pathlib import Path

EXIT_OK, EXIT_ERRORS, EXIT_CANNOT_RUN = 0, 1, 2
_DOC_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".pdf")
ARCHIVE_HELP = "档案库位置：文件路径或数据库地址（如 postgresql+psycopg://用户@主机/库）；不写则用默认位置（用户数据文件夹下 czcheck/archive.sqlite3）"


def add_validate_options(v) -> None:
    v.add_argument("--archive", nargs="?", const="", default=None, metavar="位置",
                   help="把校验过的文件存入档案库，并与库中同一部门的其他文件做跨文件核对。" + ARCHIVE_HELP)
    v.add_argument("--with", dest="with_", action="append", default=[], metavar="文件",
                   help="跨文件核对的对照文件（上年文件、同年预算、所属单位或部门）；可写多次")
    v.add_argument("--mapping", metavar="文件", help="部门对照文件（TOML：简称、更名、合并、所属单位）")


def add_subcommand(sub) -> None:
    a = sub.add_parser("archive", help="档案库：存入、列出、查看已校验的公开文件")
    asub = a.add_subparsers(dest="archive_command", metavar="操作")
    for name, helptext in (("add", "校验并存入档案库"), ("list", "列出档案库中的文件"), ("show", "查看一份文件（编号）或一个部门的时间线（部门名称）")):
        p = asub.add_parser(name, help=helptext)
        if name == "add":
            p.add_argument("paths", nargs="+", metavar="文件", help="工作簿、文件夹或通配符")
        elif name == "show":
            p.add_argument("what", metavar="编号或部门")
        else:
            p.add_argument("--department", metavar="部门", help="只列出这个部门")
            p.add_argument("--year", type=int, metavar="年度")
        p.add_argument("--archive", default=None, metavar="位置", help=ARCHIVE_HELP)
        p.add_argument("--mapping", metavar="文件", help="部门对照文件（TOML）")


def fix_archive_argv(argv: list[str]) -> list[str]:
    """``validate --archive 文件.xlsx``: the token after a bare ``--archive`` is a file to validate when it names a
    workbook or PDF, so the archive is the default one (``--archive=位置`` always names the archive)."""
    out = list(argv)
    for i, token in enumerate(out[:-1]):
        nxt = out[i + 1]
        if token == "--archive" and "://" not in nxt and Path(nxt).suffix.lower() in _DOC_SUFFIXES:
            out[i] = "--archive="
    return out


def split_archive_arg(args) -> None:
    """``validate --archive x.xlsx``: the optional value was a file to validate, not the archive."""
    value = getattr(args, "archive", None)
    if value and "://" not in value and Path(value).suffix.lower() in _DOC_SUFFIXES:
        args.paths.append(value)
        args.archive = ""


def _open(args):
    from .db import Archive, ArchiveError
    from .identity import MappingError, load_mapping

    try:
        mapping = load_mapping(getattr(args, "mapping", None))
        return Archive.open(args.archive, mapping), None
    except (ArchiveError, MappingError) as exc:
        return None, str(exc)


def cross_pass(args, reports) -> str | None:
    """Run the cross-document pass for ``validate``; returns a Chinese error that stops the run, or None."""
    from .identity import MappingError, load_mapping
    from .run import cross_check

    if args.archive is None and not args.with_:
        return None
    archive = mapping = None
    if args.archive is not None:
        archive, problem = _open(args)
        if problem:
            return problem
    else:
        try:
            mapping = load_mapping(args.mapping)
        except MappingError as exc:
            return str(exc)
    try:
        result = cross_check(reports, archive=archive, with_paths=args.with_, add=archive is not None, mapping=mapping)
    finally:
        if archive is not None:
            archive.close()
    for source, added in result.added:
        print(f"已存档（{added.status}）：{added.document.label()}，编号 {added.document.id}", file=sys.stderr)
    for line in result.problems:
        print(f"czcheck：{line}", file=sys.stderr)
    for line in result.notes:
        print(f"跨文件核对：{line}", file=sys.stderr)
    return None


def timelines_for(args, reports):
    """Timelines for the HTML report when the run used the archive (or --with)."""
    from ..model import Report
    from ..reading import ReadError
    from .run import read_full
    from .timeline import timelines

    if getattr(args, "archive", None) is None and not getattr(args, "with_", None):
        return None
    archive, problem = _open(args) if args.archive is not None else (None, None)
    shown = {str(Path(r.source).resolve()) for r in reports}
    counterparts = []  # the --with files belong on the timeline too
    for path in getattr(args, "with_", None) or []:
        if str(Path(path).resolve()) in shown:
            continue
        shown.add(str(Path(path).resolve()))
        try:
            counterparts.append(Report(source=str(path), disclosure=read_full(path)))
        except (ReadError, OSError):
            continue  # already said by the cross-document pass
    try:
        return timelines(reports + counterparts, archive)
    finally:
        if archive is not None:
            archive.close()


def cmd_archive(args) -> int:
    if args.archive_command is None:
        print("czcheck：请指定操作：archive add 文件… | archive list | archive show 编号或部门", file=sys.stderr)
        return EXIT_CANNOT_RUN
    archive, problem = _open(args)
    if problem:
        print(f"czcheck：{problem}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    try:
        return {"add": _add, "list": _list, "show": _show}[args.archive_command](args, archive)
    finally:
        archive.close()


def _add(args, archive) -> int:
    from ..batch import validate_many
    from ..engine import collect_files
    from .run import cross_check

    files, problems = collect_files(args.paths)
    for p in problems:
        print(f"czcheck：{p}", file=sys.stderr)
    if not files:
        print("czcheck：没有可存档的工作簿（.xlsx/.xlsm）", file=sys.stderr)
        return EXIT_CANNOT_RUN
    reports = validate_many(files).reports
    bad = [r for r in reports if r.error]
    for r in bad:
        print(f"czcheck：{r.source}：{r.error}（未存档）", file=sys.stderr)
    result = cross_check([r for r in reports if not r.error], archive=archive, add=True)
    for source, added in result.added:
        print(f"已存档（{added.status}）：{added.document.label()}，编号 {added.document.id}（{source}）")
        if added.note:
            print(f"    {added.note}")
    for line in result.problems:
        print(f"czcheck：{line}", file=sys.stderr)
    for line in result.notes:
        print(f"跨文件核对：{line}")
    print(f"档案库：{archive.url}")
    return EXIT_CANNOT_RUN if bad or problems or result.problems else EXIT_OK


def _list(args, archive) -> int:
    docs = archive.documents(department=args.department, year=args.year)
    if not docs:
        print("档案库中没有符合条件的文件。")
        print(f"档案库：{archive.url}")
        return EXIT_OK
    print("编号  年度  类型  级别  部门 / 文件")
    for d in docs:
        print(f"{d.id:<6}{d.year or '?':<6}{d.kind or '?':<4}  {d.level or '?':<4}  {d.department or '（未识别部门）'}  {Path(d.source).name}")
    print(f"\n共 {len(docs)} 份文件。档案库：{archive.url}")
    return EXIT_OK


def _show(args, archive) -> int:
    from ..model import Report
    from .timeline import key_figures, render_text, timelines

    what = args.what.strip()
    if what.isdigit():
        info = archive.document(int(what))
        if info is None:
            print(f"czcheck：档案库中没有编号为 {what} 的文件", file=sys.stderr)
            return EXIT_CANNOT_RUN
        d = archive.load(info.id)
        print(f"{info.label()}（编号 {info.id}）")
        print(f"文件：{info.source}\n格式：{info.profile or '未识别'}    单位：{info.unit or '未识别'}    存档时间：{info.added_at}")
        n_values = sum(len(r.values) for t in d.all_tables() for r in t.rows)
        print(f"表格 {sum(1 for _ in d.all_tables())} 张，金额单元格 {n_values} 个，情况说明段落 {len(d.narrative)} 段")
        for name, amount in key_figures(d).items():
            print(f"  {name}：{'—' if amount is None else f'{amount:,.2f}'}")
        findings = archive.findings(info.id)
        counts: dict[str, int] = {}
        for f in findings:
            counts[f["severity"]] = counts.get(f["severity"], 0) + 1
        print("问题：" + ("，".join(f"{k} {v}" for k, v in counts.items()) or "无"))
        for f in findings:
            if f["code"].startswith("KW"):
                print(f"  【{f['severity']}】{f['code']} {f['cells']} {f['message']}")
                for other in _counterparts_of(f):
                    print(f"      对照：{other.get('label')}：{'、'.join(other.get('cells') or []) or '—'}")
        return EXIT_OK
    docs = archive.documents(department=what)
    if not docs:
        print(f"czcheck：档案库中没有部门“{what}”的文件（用 czcheck archive list 查看）", file=sys.stderr)
        return EXIT_CANNOT_RUN
    reports = [Report(source=d.source, disclosure=archive.load(d.id)) for d in docs[:1]]
    for tl in timelines(reports, archive):
        print(render_text(tl))
    return EXIT_OK


def _counterparts_of(stored: dict) -> list[dict]:
    import json

    try:
        evidence = json.loads(stored.get("evidence") or "{}")
    except ValueError:
        return []
    return [c for c in evidence.get("counterparts", []) if isinstance(c, dict)]


def remark(after, reports, outputs: dict) -> None:
    """``--mark`` with cross-document checks: the copies were marked in the workers before the cross-document
    pass; mark again the files that got KW findings (a re-mark replaces the earlier marks, it never adds)."""
    from ..batch import MarkCopies, MarkInPlace
    from ..marking.files import mark_in_place

    for r in reports:
        changed = r.disclosure is not None and r.disclosure.cache.get("crossdoc_changed_findings")
        if r.error or not (changed or any(f.code.startswith("KW") for f in r.findings)):
            continue
        try:
            if isinstance(after, MarkInPlace):
                if Path(r.source).suffix.lower() in (".xlsx", ".xlsm"):  # backed up by the first marking
                    mark_in_place(Path(r.source), r.findings, force=after.force, backup=False)
            elif isinstance(after, MarkCopies):
                written = after(r)
                if written:
                    outputs[r.source] = written
        except Exception as exc:  # noqa: BLE001 - the findings stand; only the marks could not be redone
            print(f"czcheck：{r.source}：跨文件问题未能标注（{exc}）", file=sys.stderr)
