"""``czcheck``: validate workbooks, list and explain rules, import published text, write templates."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__

EXIT_OK, EXIT_ERRORS, EXIT_CANNOT_RUN = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # Chinese usage errors, exit 2
        self.print_usage(sys.stderr)
        print(f"czcheck：参数错误：{message}", file=sys.stderr)
        raise SystemExit(EXIT_CANNOT_RUN)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="czcheck", description="财政公开表校验：核对部门预算/决算公开表之间的勾稽关系")
    p.add_argument("--version", action="version", version=f"czcheck {__version__}")
    sub = p.add_subparsers(dest="command", metavar="命令")

    v = sub.add_parser("validate", help="校验一个或多个工作簿（文件、文件夹或通配符）")
    v.add_argument("paths", nargs="+", metavar="文件")
    v.add_argument("--format", choices=("text", "json"), default="text", help="输出格式：text（默认）或 json")
    v.add_argument("--no-rounding", action="store_true", help="文字输出中不列出尾差")
    v.add_argument("--output", "-o", metavar="文件", help="把报告写入文件而不是屏幕")

    sub.add_parser("rules", help="列出全部校验规则")
    e = sub.add_parser("explain", help="显示一条规则的说明")
    e.add_argument("code", metavar="规则编号")

    i = sub.add_parser("import", help="把公开文件转换出的文本导入为模板工作簿")
    i.add_argument("source", metavar="文本文件")
    i.add_argument("-o", "--output", metavar="工作簿", help="输出 .xlsx（默认与文本同名）")
    i.add_argument("--force", action="store_true", help="输出文件已存在时覆盖")

    t = sub.add_parser("template", help="生成空白模板工作簿")
    t.add_argument("-o", "--output", metavar="工作簿", default="部门预算模板.xlsx")
    t.add_argument("--profile", default="shandong-budget", help="格式（默认 shandong-budget）")
    t.add_argument("--force", action="store_true")
    return p


def _write(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)


def cmd_validate(args) -> int:
    from .engine import collect_files, validate_file
    from .report import render_json, render_text

    files, problems = collect_files(args.paths)
    for problem in problems:
        print(f"czcheck：{problem}", file=sys.stderr)
    if not files:
        print("czcheck：没有可校验的工作簿（.xlsx/.xlsm）", file=sys.stderr)
        return EXIT_CANNOT_RUN
    reports = [validate_file(f) for f in files]
    if args.format == "json":
        _write(render_json(reports), args.output)
    else:
        _write(render_text(reports, show_rounding=not args.no_rounding), args.output)
    if problems or any(r.error for r in reports):
        return EXIT_CANNOT_RUN
    return EXIT_ERRORS if any(r.has_errors for r in reports) else EXIT_OK


def cmd_rules(args) -> int:
    from .rules import all_rules

    rules = all_rules()
    print(f"{'编号':<7}{'类别':<6}{'默认级别':<6}名称")
    for r in rules:
        print(f"{r.code:<8}{r.family:<6}{r.severity.value:<8}{r.name}")
    print(f"\n共 {len(rules)} 条规则。用 czcheck explain 编号 查看说明。")
    return EXIT_OK


def cmd_explain(args) -> int:
    from .rules import get_rule

    r = get_rule(args.code)
    if r is None:
        print(f"czcheck：没有编号为 {args.code} 的规则。用 czcheck rules 查看全部规则。", file=sys.stderr)
        return EXIT_CANNOT_RUN
    print(f"{r.code} {r.name}")
    print(f"类别：{r.family}    默认级别：{r.severity.value}")
    if r.requires:
        print(f"需要的表：{'、'.join(r.requires)}")
    print()
    print(r.doc)
    return EXIT_OK


def cmd_import(args) -> int:
    from .importing import ImportError_, import_seed

    source = Path(args.source)
    output = Path(args.output) if args.output else source.with_suffix(".xlsx")
    if output.exists() and not args.force:
        print(f"czcheck：输出文件已存在：{output}（加 --force 覆盖）", file=sys.stderr)
        return EXIT_CANNOT_RUN
    if output.suffix.lower() != ".xlsx":
        print("czcheck：输出文件必须是 .xlsx", file=sys.stderr)
        return EXIT_CANNOT_RUN
    try:
        path, notes = import_seed(source, output)
    except ImportError_ as exc:
        print(f"czcheck：{exc}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    for note in notes:
        print(note)
    print(f"已生成：{path}")
    return EXIT_OK


def cmd_template(args) -> int:
    from . import schemas
    from .workbook_writer import write_workbook

    profile = schemas.profiles().get(args.profile)
    if profile is None:
        print(f"czcheck：未知格式 {args.profile}；可选：{'、'.join(schemas.profiles())}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    out = Path(args.output)
    if out.exists() and not args.force:
        print(f"czcheck：输出文件已存在：{out}（加 --force 覆盖）", file=sys.stderr)
        return EXIT_CANNOT_RUN
    print(f"已生成：{write_workbook(profile, out)}")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")
        except (AttributeError, ValueError):
            pass
    args = _parser().parse_args(argv)
    commands = {"validate": cmd_validate, "rules": cmd_rules, "explain": cmd_explain, "import": cmd_import, "template": cmd_template}
    if args.command is None:
        _parser().print_help()
        return EXIT_CANNOT_RUN
    try:
        return commands[args.command](args)
    except KeyboardInterrupt:
        print("czcheck：已中断", file=sys.stderr)
        return EXIT_CANNOT_RUN


if __name__ == "__main__":
    raise SystemExit(main())
