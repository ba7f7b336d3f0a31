"""``czcheck``: validate workbooks, list and explain rules, import published text, write templates."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path
from typing import Any

from . import __version__

EXIT_OK, EXIT_ERRORS, EXIT_CANNOT_RUN = 0, 1, 2
FORMATS = ("text", "json", "junit", "sarif")
REPORT_SUFFIXES = (".html", ".htm", ".xlsx")


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"应为正整数：{text}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"应为正整数：{text}")
    return n


# argparse's own texts, in Chinese.  argparse looks them up through its module-level gettext hooks
# (``argparse._`` / ``argparse.ngettext``) each time it prints; ``_chinese_argparse`` swaps those hooks
# while our parser is built and used, and puts them back afterwards.
_ARGPARSE_ZH = {
    "usage: ": "用法：",
    "positional arguments": "位置参数",
    "options": "选项",
    "optional arguments": "选项",
    "show this help message and exit": "显示本帮助并退出",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的取值 %(value)r（可选：%(choices)s）",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "未知命令 %(parser_name)r（可选：%(choices)s）",
    "expected one argument": "需要一个值",
    "expected at most one argument": "最多只能有一个值",
    "expected at least one argument": "至少需要一个值",
    "invalid %(type)s value: %(value)r": "无效的值 %(value)r",
    "ambiguous option: %(option)s could match %(matches)s": "选项 %(option)s 不明确，可能是：%(matches)s",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "ignored explicit argument %r": "该选项不接受值：%r",
    "one of the arguments %s is required": "必须提供以下参数之一：%s",
    "unexpected option string: %s": "意外的选项：%s",
    "%(prog)s: error: %(message)s\n": "%(prog)s：参数错误：%(message)s\n",
}


def _zh(message: str) -> str:
    return _ARGPARSE_ZH.get(message, message)


def _zh_n(singular: str, plural: str, n: int) -> str:
    if singular == "expected %s argument":
        return "需要 %s 个值"
    return _zh(singular if n == 1 else plural)


@contextlib.contextmanager
def _chinese_argparse():
    saved = argparse._, argparse.ngettext
    argparse._, argparse.ngettext = _zh, _zh_n
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved


def _terminal_columns() -> int:
    """``shutil.get_terminal_size().columns`` (COLUMNS, else the terminal's, else 80), asked once per
    parser build (argparse asks it for every argument)."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
        columns = columns or 80
    return columns


_formatter: Any = argparse.HelpFormatter  # the parsers' formatter (with the terminal width, set by _parser)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _formatter)  # subcommands' parsers too
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # Chinese usage errors, exit 2
        self.print_usage(sys.stderr)
        print(f"czcheck：参数错误：{message}", file=sys.stderr)
        raise SystemExit(EXIT_CANNOT_RUN)


def _parser() -> argparse.ArgumentParser:
    global _formatter
    import functools

    # argparse's own width (the terminal's columns less 2), asked once: argparse makes a formatter for
    # every add_argument, and each asked the terminal again (about a hundred calls)
    _formatter = functools.partial(argparse.HelpFormatter, width=_terminal_columns() - 2)
    p = _Parser(prog="czcheck", description="财政公开表校验：核对部门预算/决算公开表之间的勾稽关系")
    p.add_argument("--version", action="version", version=f"czcheck {__version__}", help="显示版本号并退出")
    sub = p.add_subparsers(dest="command", metavar="命令")

    v = sub.add_parser("validate", help="校验一个或多个工作簿或 PDF（文件、文件夹或通配符）")
    v.add_argument("paths", nargs="+", metavar="文件", help="工作簿、文件夹（含子文件夹）或通配符，可写多个")
    v.add_argument("--format", choices=FORMATS, default="text",
                   help="屏幕/输出文件格式：text（默认）、json、junit（CI 测试报告）或 sarif（代码扫描）")
    v.add_argument("--no-rounding", action="store_true", help="文字输出中不列出尾差")
    v.add_argument("--show-tables", action="store_true", help="列出每个文件识别到的表：哪个标题（哪个单元格）被认作哪张表、金额单位")
    v.add_argument("--output", "-o", metavar="文件", help="把报告写入文件而不是屏幕")
    v.add_argument("--report", action="append", default=[], metavar="文件",
                   help="另外生成汇总报告：.html（网页，可筛选）或 .xlsx（Excel 汇总）；可写多次")
    v.add_argument("--mark", action="store_true", help="生成标注副本：在有问题的单元格上加底色和批注（默认写在原文件旁：文件名.校验.xlsx）")
    v.add_argument("--out", metavar="文件夹", help="标注副本写到此文件夹（隐含 --mark）")
    v.add_argument("--in-place", action="store_true", help="直接标注原文件（先备份为 文件名.备份.xlsx）")
    v.add_argument("--force", action="store_true",
                   help="写入只读、被其他程序打开或锁定、有多个硬链接的文件，或替换输出位置上的符号链接")
    v.add_argument("--jobs", "-j", type=_positive_int, default=None, metavar="N", help="并行进程数（默认：全部 CPU 核）")
    v.add_argument("--engine", choices=("local", "dask"), default="local", help="local（默认，本机多进程）或 dask（集群）")
    v.add_argument("--config", metavar="文件", help="配置文件 czcheck.toml（默认在被校验的文件夹及其上级查找 czcheck.toml 或 pyproject.toml 的 [tool.czcheck]）")
    v.add_argument("--scheduler", metavar="地址", help="Dask 调度器地址，例如 tcp://10.0.0.5:8786（与 --engine dask 一起用）")
    v.add_argument("--strict", action="store_true", help="严格模式：有“无法校验”的项目或文件仅部分校验时也以退出码 1 结束")
    v.add_argument("--baseline", metavar="文件", help="基线文件（JSON）：与其中已接受的结果相同的问题不再报告，只报告新问题")
    v.add_argument("--write-baseline", metavar="文件", help="把本次全部校验结果写成基线文件（JSON），供以后的 --baseline 使用")
    from .archive.commands import add_subcommand, add_validate_options  # --archive/--with, `czcheck archive`

    add_validate_options(v)
    add_subcommand(sub)

    c = sub.add_parser("clear", help="去掉 czcheck 的全部标注，恢复单元格原来的底色和批注")
    c.add_argument("paths", nargs="+", metavar="文件")
    c.add_argument("--out", metavar="文件夹", help="把清除后的工作簿写到此文件夹（默认直接清除该文件）")
    c.add_argument("--force", action="store_true", help="写入只读、被其他程序打开或锁定、有多个硬链接的文件")

    r = sub.add_parser("rules", help="列出全部校验规则")
    r.add_argument("--format", choices=("text", "json"), default="text", help="输出格式：text（默认）或 json")
    e = sub.add_parser("explain", help="显示一条规则的说明")
    e.add_argument("code", metavar="规则编号")
    e.add_argument("--format", choices=("text", "json"), default="text", help="输出格式：text（默认）或 json")
    fm = sub.add_parser("formats", help="列出支持的公开表格式（格式包）及其表格和勾稽关系")
    fm.add_argument("--format", choices=("text", "json"), default="text", help="输出格式：text（默认）或 json")

    i = sub.add_parser("import", help="把公开的 PDF 或其转换出的文本导入为工作簿")
    i.add_argument("source", metavar="PDF或文本文件")
    i.add_argument("-o", "--output", metavar="工作簿", help="输出 .xlsx（默认与文本同名）")
    i.add_argument("--force", action="store_true", help="输出文件已存在时覆盖")

    t = sub.add_parser("template", help="生成空白模板工作簿")
    t.add_argument("-o", "--output", metavar="工作簿", default="部门预算模板.xlsx", help="输出 .xlsx（默认 部门预算模板.xlsx）")
    t.add_argument("--profile", default="shandong-budget", metavar="格式", help="格式（默认 shandong-budget）")
    t.add_argument("--force", action="store_true", help="输出文件已存在时覆盖")
    return p


def _write(text: str, output: str | None, force: bool = False) -> bool:
    from .safewrite import WriteRefused, shown, terminal_text, write_output

    if not output:
        print(terminal_text(text))
        return True
    data = (terminal_text(text) + "\n").encode("utf-8")
    try:
        target = Path(output)
        if target.exists() and not target.is_file() and not target.is_dir():  # /dev/null, a pipe: no file to protect
            with open(target, "wb") as fh:
                fh.write(data)
        else:
            write_output(target, data, force=force)
    except (OSError, WriteRefused) as exc:
        print(f"czcheck：无法写入 {shown(output)}：{_reason(exc)}", file=sys.stderr)
        return False
    return True


def _reason(exc: BaseException) -> str:
    """Why a write failed, in Chinese: safewrite's own message, or the operating system's error."""
    from .safewrite import os_error_text

    return os_error_text(exc) if isinstance(exc, OSError) else str(exc)


def _terminal(text: str) -> str:
    from .safewrite import terminal_text

    return terminal_text(text)


def cmd_validate(args) -> int:
    from .batch import Progress, validate_many
    from .engine import collect_files, is_own_output
    from . import report as render  # each renderer is imported when used
    from .report.tables import render_tables

    for report_path in args.report:
        if Path(report_path).suffix.lower() not in REPORT_SUFFIXES:
            print(f"czcheck：--report 只支持 .html 或 .xlsx 文件：{report_path}", file=sys.stderr)
            return EXIT_CANNOT_RUN
    from .archive.commands import split_archive_arg

    split_archive_arg(args)
    if args.engine == "dask" and not args.scheduler:
        print("czcheck：使用 --engine dask 时必须用 --scheduler 指定调度器地址", file=sys.stderr)
        return EXIT_CANNOT_RUN
    if not _use_config(args):
        return EXIT_CANNOT_RUN
    baseline = None
    if args.baseline:
        from .baseline import BaselineError, load_baseline

        try:
            baseline = load_baseline(args.baseline)
        except BaselineError as exc:
            print(f"czcheck：{exc}", file=sys.stderr)
            return EXIT_CANNOT_RUN
    files, problems = collect_files(args.paths)
    # never validate this run's own outputs (a summary written into the folder being checked)
    own = {Path(p).resolve() for p in [*args.report, *([args.output] if args.output else []),
                                       *([args.write_baseline] if args.write_baseline else [])]}
    files = [f for f in files if f.resolve() not in own]
    if len(files) != 1:
        _release_collector()  # a batch: each file's garbage is collected as it goes
    for problem in problems:
        print(f"czcheck：{_terminal(problem)}", file=sys.stderr)
    if not files:
        print("czcheck：没有可校验的工作簿或 PDF（.xlsx/.xlsm/.xls/.pdf）", file=sys.stderr)
        return EXIT_CANNOT_RUN
    after = None
    if args.in_place and args.out:
        print("czcheck：--in-place 与 --out 不能同时使用", file=sys.stderr)
        return EXIT_CANNOT_RUN
    if args.mark or args.out or args.in_place:
        from .batch import MarkCopies, MarkInPlace

        base = _marking_base(args.paths)
        after = MarkInPlace(force=args.force) if args.in_place else MarkCopies(args.out, base=base, force=args.force)
        # never validate earlier marked copies or backups as if they were sources
        files = [f for f in files if not is_own_output(f)]
    if baseline is not None:
        from .baseline import WithBaseline

        after = WithBaseline(baseline, after)  # hide accepted findings in the worker, before marking
    progress = Progress(len(files)) if len(files) > 1 else None
    try:
        result = validate_many(files, args.jobs, engine=args.engine, scheduler=args.scheduler, progress=progress, after=after)
    except (RuntimeError, OSError) as exc:  # cluster unreachable, Dask not installed
        if progress is not None:
            progress.close()
        print(f"czcheck：{exc}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    reports = result.reports
    if args.archive is not None or args.with_:  # cross-document checks (and the archive)
        from .archive.commands import cross_pass

        stop = cross_pass(args, reports)
        if stop:
            print(f"czcheck：{stop}", file=sys.stderr)
            return EXIT_CANNOT_RUN
        if after is not None:
            from .archive.commands import remark

            remark(after, reports, result.outputs)
    marked = result.outputs or None
    renderers = {
        "json": lambda: render.render_json(reports),
        "junit": lambda: render.render_junit(reports),
        "sarif": lambda: render.render_sarif(reports),
        "text": lambda: render.render_text(reports, show_rounding=not args.no_rounding)
        + (f"\n\n{render_tables(reports)}" if args.show_tables else ""),
    }
    if not _write(renderers[args.format](), args.output, force=args.force):
        return EXIT_CANNOT_RUN
    from .batch import write_failed
    from .safewrite import shown

    for source, written in sorted((result.outputs or {}).items()):
        line = result.messages.get(source) or shown(written)
        print(f"已标注原文件：{line}" if args.in_place else f"已标注：{line}", file=sys.stderr)
        for note in result.notes.get(source, []):
            print(f"czcheck：{note}", file=sys.stderr)
    for report in reports:
        if write_failed(report):
            print(f"czcheck：{shown(report.source)}：标注未写入（校验结果已在上面列出）", file=sys.stderr)
    timelines = None
    if args.report and (args.archive is not None or args.with_):
        from .archive.commands import timelines_for

        timelines = timelines_for(args, reports)
    for report_path in args.report:
        from .safewrite import WriteRefused, shown

        try:
            written = _write_report(reports, Path(report_path), marked, timelines, force=args.force)
        except (OSError, WriteRefused) as exc:
            print(f"czcheck：无法写入报告 {shown(report_path)}：{_reason(exc)}", file=sys.stderr)
            return EXIT_CANNOT_RUN
        print(f"已生成报告：{shown(written)}", file=sys.stderr)
    if args.write_baseline:
        from .baseline import write_baseline
        from .safewrite import WriteRefused, shown

        try:
            written, n = write_baseline(reports, args.write_baseline, force=args.force)
        except (OSError, WriteRefused) as exc:
            print(f"czcheck：无法写入基线文件 {shown(args.write_baseline)}：{_reason(exc)}", file=sys.stderr)
            return EXIT_CANNOT_RUN
        print(f"已生成基线：{written}（{n} 条）", file=sys.stderr)
    if baseline is not None:
        print(f"已按基线忽略 {sum(len(r.baselined) for r in reports)} 条", file=sys.stderr)
    return _exit_code(reports, problems, strict=args.strict)


def _exit_code(reports, problems, *, strict: bool = False) -> int:
    """2: a path was not found or a file was 未能校验 (read error, empty, no table recognised);
    1: 错误 (and with ``strict``: 无法校验 findings or a file only 部分校验); 0 otherwise."""
    from .model import Severity

    from .batch import write_failed

    if problems or any(r.status.failed for r in reports) or any(write_failed(r) for r in reports):
        return EXIT_CANNOT_RUN
    if any(r.has_errors for r in reports):
        return EXIT_ERRORS
    if strict and any(r.count(Severity.UNVERIFIABLE) or not r.status.checked for r in reports):
        return EXIT_ERRORS
    return EXIT_OK


def _marking_base(paths: list[str]) -> str | None:
    """The folder marked copies are placed relative to under --out: the folder given, or the folder
    of the file(s) given, so one file lands in the output folder itself (not under its absolute path)."""
    folders = []
    for target in map(Path, paths):
        if target.is_dir():
            folders.append(str(target.resolve()))
        elif target.is_file():
            folders.append(str(target.resolve().parent))
        else:  # a wildcard: keep the paths as matched
            return None
    try:
        return os.path.commonpath(folders) if folders else None
    except ValueError:  # different drives on Windows
        return None


def _write_report(reports, path: Path, marked, timelines=None, force: bool = False) -> Path:
    from .report import render_html, write_xlsx
    from .safewrite import write_output

    if path.suffix.lower() == ".xlsx":
        return write_xlsx(reports, path, marked=marked, force=force)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_output(path, render_html(reports, report_path=path, marked=marked, timelines=timelines).encode("utf-8"), force=force)
    return path


def cmd_rules(args) -> int:
    from .rules import all_rules

    rules = all_rules()
    wide = max(len(r.family) for r in rules)

    def cjk(text: str, width: int) -> str:  # pad Chinese text with ideographic spaces so columns line up
        return text + "　" * (width - len(text))

    if args.format == "json":
        import json

        from .catalogue import explain_rule

        print(json.dumps([explain_rule(r.code) for r in rules], ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"编号    {cjk('类别', wide)}  {cjk('默认级别', 4)}  名称")
    for r in rules:
        print(f"{r.code:<8}{cjk(r.family, wide)}  {cjk(r.severity.value, 4)}  {r.name}")
    from .archive.crossdoc import FAMILY, catalogue

    cross = catalogue()
    for r in cross:
        print(f"{r.code:<8}{cjk(FAMILY, wide)}  {cjk('错误', 4)}  {r.name}")
    print(f"\n共 {len(rules) + len(cross)} 条规则（跨文件核对 {len(cross)} 条，需 --archive 或 --with）。用 czcheck explain 编号 查看说明。")
    return EXIT_OK


def _use_config(args) -> bool:
    """Load the reviewer's configuration once (errors in Chinese); workers find it through CZCHECK_CONFIG."""
    from .config import ENV, ConfigError, active, find_config

    path = Path(args.config) if args.config else find_config(Path(args.paths[0]))
    if path is None:
        os.environ.pop(ENV, None)
        return True
    os.environ[ENV] = str(path.resolve())
    try:
        active()
    except ConfigError as exc:
        print(f"czcheck：{exc}", file=sys.stderr)
        return False
    print(f"使用配置：{path}", file=sys.stderr)
    return True


def cmd_explain(args) -> int:
    import json

    from .catalogue import explain_rule

    info = explain_rule(args.code)
    if info is None:
        from .archive.crossdoc import FAMILY, explain

        x = explain(args.code)  # cross-document codes (KW1xx) need a counterpart document: not in the catalogue
        if x is not None:
            print(f"{x.code} {x.name}\n类别：{FAMILY}（需 --archive 或 --with 提供对照文件）    默认级别：错误\n\n{x.doc}")
            return EXIT_OK
        print(f"czcheck：没有编号为 {args.code} 的规则。用 czcheck rules 查看全部规则。", file=sys.stderr)
        return EXIT_CANNOT_RUN
    if args.format == "json":
        print(json.dumps(info, ensure_ascii=False, indent=2))
        return EXIT_OK
    if info["requested"] != info["code"]:
        print(f"{info['requested']} 已并入 {info['code']}（旧编号仍可使用）\n")
    print(f"{info['code']} {info['name']}")
    print(f"类别：{info['family']}    默认级别：{info['severity']}")
    if info["aliases"]:
        print(f"旧编号：{'、'.join(info['aliases'])}")
    if info["requires"]:
        print(f"需要的表：{'、'.join(info['requires'])}")
    print(f"检查方式：{'格式包中声明的勾稽关系（通用关系类型，统一的尾差规则）' if info['declared'] else '规则代码'}")
    if info["formats"]:
        print("声明该规则的格式：" + "；".join(f"{f['id']}（{f['count']} 处）" for f in info["formats"]))
    for name, p in info["params"].items():
        print(f"参数 {name}（默认 {json.dumps(p['default'])}）：{p['description']}")
    print()
    print(info["doc"])
    return EXIT_OK


def cmd_formats(args) -> int:
    import json

    from .catalogue import describe_formats

    formats = describe_formats()
    if args.format == "json":
        print(json.dumps(formats, ensure_ascii=False, indent=2))
        return EXIT_OK
    for f in formats:
        print(f"{f['id']}  {f['name']}（{f['disclosure_kind']}，单位：{f['unit']}）")
        print(f"  表格 {len(f['tables'])} 张：{'、'.join(t['kind'] for t in f['tables'])}")
        print(f"  勾稽关系 {f['relation_count']} 处（其中本格式声明 {f['own_relation_count']} 处）：{'、'.join(f['relation_codes'])}")
        if f["folder"]:
            print(f"  位置：{f['folder']}")
        print()
    print(f"共 {len(formats)} 种格式。用 czcheck explain 编号 查看一条规则在哪些格式中声明。")
    return EXIT_OK


def cmd_import(args) -> int:
    from .importing import ImportError_, import_seed
    from .safewrite import WriteRefused, shown

    source = Path(args.source)
    output = Path(args.output) if args.output else source.with_suffix(".xlsx")
    if output.exists() and not args.force:
        print(f"czcheck：输出文件已存在：{output}（加 --force 覆盖）", file=sys.stderr)
        return EXIT_CANNOT_RUN
    if output.suffix.lower() != ".xlsx":
        print("czcheck：输出文件必须是 .xlsx", file=sys.stderr)
        return EXIT_CANNOT_RUN
    try:
        if _is_pdf(source):  # a published PDF → a workbook of its tables and narrative
            from .importing.pdf import import_pdf

            path, notes = import_pdf(source, output)
        else:
            path, notes = import_seed(source, output)
    except ImportError_ as exc:
        print(f"czcheck：{exc}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    except (OSError, WriteRefused) as exc:  # the workbook could not be written (safewrite says why)
        print(f"czcheck：无法写入 {shown(output)}：{_reason(exc)}", file=sys.stderr)
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
    from .safewrite import WriteRefused, shown

    try:
        print(f"已生成：{shown(write_workbook(profile, out))}")
    except (OSError, WriteRefused) as exc:
        print(f"czcheck：无法写入 {shown(out)}：{_reason(exc)}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    return EXIT_OK


def cmd_clear(args) -> int:
    from .marking import MarkingError
    from .marking.files import clear_file
    from .safewrite import shown

    status = EXIT_OK
    for name in args.paths:
        source = Path(name)
        if not source.is_file():
            print(f"czcheck：找不到文件：{shown(source)}", file=sys.stderr)
            status = EXIT_CANNOT_RUN
            continue
        if _is_pdf(source):
            print(f"{shown(source)}：这是 PDF 文件，czcheck 从不改动原 PDF（标注写在“文件名.校验.pdf”副本中），无需清除；删除该副本即可")
            continue
        dest = None
        if args.out:
            dest = Path(args.out).resolve() / source.name
        try:
            written, _stats = clear_file(source, dest, force=args.force)
        except (MarkingError, OSError) as exc:
            print(f"czcheck：{shown(source)}：{exc}", file=sys.stderr)
            status = EXIT_CANNOT_RUN
            continue
        if written is None:
            print(f"{shown(source)}：没有 czcheck 的标注，未做改动")
            continue
        print(f"已清除标注：{written.describe()}")
    return status


def cmd_archive(args) -> int:
    from .archive.commands import cmd_archive as run

    return run(args)


def _is_pdf(path: Path) -> bool:
    from .reading.grid import is_pdf

    return path.is_file() and is_pdf(path)


_collector_held = False  # the czcheck command holds the cycle collector while it validates one file


def _hold_collector() -> None:
    """The command (not a caller's process) starts with the cycle collector off: start-up and one file's
    validation allocate objects that live until the process ends, and collections walked them again and
    again (a tenth of a one-file run; on a 5,000-row book, after validation turned it back on, one
    collection walked every row).  ``cmd_validate`` turns it back on for more than one file, the other
    commands before they run; at the end main() freezes what exists (_skip_exit_collection), then turns it
    back on."""
    global _collector_held
    import gc

    if gc.isenabled():
        gc.disable()
        _collector_held = True


def _release_collector() -> None:
    global _collector_held
    if _collector_held:
        import gc

        gc.enable()
        _collector_held = False


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        _hold_collector()  # first: importing recache may compile its source (a collection walked it)
    from .recache import install

    install()  # the command's regular expressions compiled once, kept like .pyc files (recache.py)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")
        except (AttributeError, ValueError):
            pass
    from .archive.commands import fix_archive_argv

    with _chinese_argparse():
        parser = _parser()
        args = parser.parse_args(fix_archive_argv(sys.argv[1:] if argv is None else argv))
        if args.command is None:
            parser.print_help()
            return EXIT_CANNOT_RUN
    commands = {"archive": cmd_archive, "validate": cmd_validate, "clear": cmd_clear, "rules": cmd_rules,
                "explain": cmd_explain, "import": cmd_import, "template": cmd_template, "formats": cmd_formats}
    from .config import ENV

    saved = os.environ.get(ENV)  # validate sets it for its workers; a caller's process keeps its own
    from .schemas.formats import FormatError

    if args.command != "validate":
        _release_collector()
    try:
        return commands[args.command](args)
    except FormatError as exc:  # a format pack (CZCHECK_FORMATS, czcheck.toml formats = [...]) that cannot be used
        print(f"czcheck：{exc}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    except KeyboardInterrupt:
        print("czcheck：已中断", file=sys.stderr)
        return EXIT_CANNOT_RUN
    except BrokenPipeError:  # output piped into head/less that closed early
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keep interpreter shutdown quiet
        except OSError:
            pass
        return EXIT_CANNOT_RUN
    finally:
        if saved is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = saved
        if argv is None:  # the czcheck command (not a caller's process): the process ends next
            _skip_exit_collection()
            _release_collector()  # after the freeze, which leaves nothing young to walk


def _skip_exit_collection() -> None:
    """A validated book leaves hundreds of thousands of objects in reference cycles (rule caches that
    point back at their disclosure); the collection at interpreter exit would walk them all (a third of
    a 5,000-row book's CPU) just before the OS frees the memory anyway.  Files and the archive are
    closed by then (with-blocks, explicit commits); atexit handlers and module teardown still run."""
    import gc

    gc.freeze()


if __name__ == "__main__":
    raise SystemExit(main())
