"""Domain model: cells, values, tables, the disclosure, findings.

Data flows one way: reading/ builds a Disclosure, rules/ turn it into Findings,
report/ and marking turn Findings into output.  Nothing here knows about files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any, Iterator, TypeVar

V = TypeVar("V")  # a derived view of a Table or Disclosure (Table.view, Disclosure.view)


class Severity(str, Enum):
    """Finding severities, ordered from most to least serious."""

    ERROR = "错误"  # must be fixed
    UNVERIFIABLE = "无法校验"  # data the rule needs is missing or unreadable: fail closed
    WARNING = "提示"  # needs an explanation
    ROUNDING = "尾差"  # inside the rounding envelope; information only

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.ERROR: 0, Severity.UNVERIFIABLE: 1, Severity.WARNING: 2, Severity.ROUNDING: 3}
SEVERITY_ORDER = sorted(Severity, key=lambda s: s.rank)


def column_letter(index: int) -> str:
    """0-based column index -> Excel letters (0 -> A)."""
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass(frozen=True, order=True, init=False)
class CellRef:
    """A cell in the workbook: sheet name plus 0-based row/column."""

    sheet: str
    row: int
    col: int

    def __init__(self, sheet: str, row: int, col: int) -> None:
        # frozen, but built by the thousand while reading: fill the instance dict directly (the
        # generated frozen __init__ goes through object.__setattr__ once per field)
        d = self.__dict__
        d["sheet"], d["row"], d["col"] = sheet, row, col

    @property
    def address(self) -> str:
        return f"{column_letter(self.col)}{self.row + 1}"

    def __str__(self) -> str:
        return f"{self.sheet}!{self.address}"


_HALF_CENT = Decimal("0.005")
_ZERO = Decimal(0)
_new = object.__new__
_setattr = object.__setattr__


@dataclass(frozen=True, init=False)
class Value:
    """One amount cell.  ``amount`` is None when the cell is blank or unreadable."""

    amount: Decimal | None
    raw: Any
    ref: CellRef
    problem: str | None = None  # Chinese description when the text is not an amount
    # half of the last printed digit, in the disclosure's unit: what rounding alone can move this amount.
    # 0.005 for an amount printed to 0.01 in the disclosure's unit; 50 for 0.01 万元 read into a 元 book.
    half_ulp: Decimal = _HALF_CENT

    def __init__(self, amount: Decimal | None, raw: Any, ref: CellRef, problem: str | None = None,
                 half_ulp: Decimal = _HALF_CENT) -> None:
        d = self.__dict__  # as CellRef: frozen, filled directly
        d["amount"], d["raw"], d["ref"], d["problem"], d["half_ulp"] = amount, raw, ref, problem, half_ulp
        # read by every check, several times per cell: worked out once, as plain attributes (not fields:
        # not compared, not shown, not in asdict).  blank: no amount and no problem.  number: the amount
        # with blank read as zero (a rule decides to do this).
        d["blank"] = amount is None and problem is None
        d["number"] = amount if amount is not None else _ZERO

    @classmethod
    def at(cls, amount: Decimal | None, raw: Any, where: tuple[str, int, int], problem: str | None = None,
           half_ulp: Decimal = _HALF_CENT) -> "Value":
        """A Value whose ``ref`` is built from ``where`` = (sheet, row, col) when first read.

        The reader makes one Value per amount cell, and the rules name only the few cells of their
        findings: a CellRef per cell was a large part of the cost of reading a table.  The instance is the
        same Value otherwise (``ref`` compares, hashes, shows, pickles and ``dataclasses.replace``s as a
        field)."""
        self = _new(cls)
        # only what differs from a blank cell is stored: the class holds a blank cell's attributes
        # (``_BLANK_CELL``; most amount cells of a table are blank)
        if raw is None and amount is None and problem is None and half_ulp is _HALF_CENT:
            _setattr(self, "_at", where)  # one attribute: cheaper than materialising the instance dict
            return self
        d = self.__dict__
        d["_at"], d["raw"] = where, raw
        if amount is not None:
            d["amount"] = d["number"] = amount
        if problem is not None:
            d["problem"] = problem
        if amount is not None or problem is not None:
            d["blank"] = False
        if half_ulp is not _HALF_CENT:
            d["half_ulp"] = half_ulp
        return self

    if TYPE_CHECKING:
        blank: bool
        number: Decimal


class _Built:
    """A non-data descriptor: the attribute ``name`` built by ``build(instance)`` when the instance dict
    lacks it, then kept there (so later reads never come here).  Not ``__getattr__``: a class defining that
    makes every attribute read slower (CPython cannot specialise it), and Rows and Values are read a lot."""

    __slots__ = ("name", "build")

    def __init__(self, name: str, build: Any) -> None:
        self.name, self.build = name, build

    def __get__(self, obj: Any, cls: Any = None) -> Any:
        if obj is None:
            raise AttributeError(f"type object '{cls.__name__}' has no attribute '{self.name}'")
        built = obj.__dict__[self.name] = self.build(obj)
        return built


def _built_ref(value: "Value") -> CellRef:
    where = value.__dict__.get("_at")
    if where is None:
        raise AttributeError("'Value' object has no attribute 'ref'")
    return CellRef(*where)


Value.ref = _Built("ref", _built_ref)  # type: ignore[assignment]  # a reader's Value (Value.at)

# the attributes of a blank cell, as class defaults: a Value.at holds only those that differ (``problem``
# and ``half_ulp`` are the fields' own defaults); a Value built by its constructor holds them all
_BLANK_CELL = {"amount": None, "raw": None, "problem": None, "half_ulp": _HALF_CENT, "blank": True, "number": _ZERO}
for _name, _default in _BLANK_CELL.items():
    setattr(Value, _name, _default)
del _name, _default


@dataclass
class Column:
    """A table column with its canonical role, mapped from the header text."""

    index: int
    header: str  # the header path as printed, e.g. "财政拨款收入/小计"
    role: str | None  # canonical role, e.g. "财政拨款小计"; None when not recognised
    group: str | None = None  # e.g. "2024年预算数" in the 三公 table
    side: str | None = None  # "收入" / "支出" in two-sided summary tables

    @property
    def key(self) -> str | None:
        if self.role is None:
            return None
        return f"{self.role}@{self.group}" if self.group else self.role


class RowKind(str, Enum):
    TOTAL = "total"  # 合计 / 总计 row of the whole table
    DATA = "data"
    MARKER = "marker"  # "rows missing here" marker written by the importer or a user


# the members as plain module names: reading ``RowKind.DATA`` costs about ten times as much (an Enum
# class attribute), and the rules ask a row's kind once per row per check
_DATA, _TOTAL = RowKind.DATA, RowKind.TOTAL


class RowKey(str):
    """What names a row, typed.  It compares and hashes as its text, because declarations and rules name
    lines by text (``row.key == "本年收入合计"``); ``kind`` says what the text is:

    - ``LINE``  a summary table's ledger line (the canonical key; a fund line under a heading carries the
      heading: "上年结转:一般公共预算", "年初财政拨款结转和结余:政府性基金")
    - ``TOTAL`` the printed total line of a block table ("合计", "总计"), a TOTAL row
    - ``UNIT``  a unit of a by-unit table ("单位:502001"; ``name`` is the unit's code)
    - ``LEVEL`` a project table's level ("项目类型", "一级项目", "二级项目")

    A plain string given as ``Row.key`` (the archive restores keys as text) gets its kind from its shape.
    """

    LINE, TOTAL, UNIT, LEVEL = "line", "total", "unit", "level"
    LEVELS = ("项目类型", "一级项目", "二级项目")
    kind: str

    def __new__(cls, text: str, kind: str = "line") -> "RowKey":
        self = super().__new__(cls, text)
        self.kind = kind
        return self

    def __getnewargs__(self) -> tuple[str, str]:  # pickling (the process pool) keeps the kind
        return (str(self), self.kind)

    @property
    def name(self) -> str:
        """The key without its prefix: the unit code of a UNIT, the line of a LINE under a heading."""
        return self.partition(":")[2] or str(self)

    @classmethod
    def of(cls, text: str, row_kind: "RowKind | None" = None) -> "RowKey":
        if isinstance(text, RowKey):
            return text
        if text.startswith("单位:"):
            return cls(text, cls.UNIT)
        if text in cls.LEVELS:
            return cls(text, cls.LEVEL)
        return cls(text, cls.TOTAL if row_kind is RowKind.TOTAL else cls.LINE)


@dataclass
class Row:
    """A row of a table.  Two-sided summary tables yield one Row per side per sheet row."""

    index: int  # 0-based sheet row
    kind: RowKind
    label: str  # item / subject / project name, spaces removed
    label_ref: CellRef | None
    values: dict[str, Value] = field(default_factory=dict)
    side: str | None = None  # "收入" / "支出" for summary tables
    key: RowKey | None = None  # what names the row (RowKey: ledger line, block total, unit, project level)
    code: str | None = None  # function classification code, 3/5/7 digits
    econ_dept: str | None = None  # 部门 economic code, 3 or 5 digits (30101)
    econ_gov: str | None = None  # 政府 economic code, 3 or 5 digits (50101)

    def __post_init__(self) -> None:
        if self.key is not None and type(self.key) is not RowKey:
            self.key = RowKey.of(self.key, self.kind)

    def get(self, key: str) -> Value | None:
        return self.values.get(key)

    @classmethod
    def lazy(cls, index: int, kind: RowKind, label: str, label_ref: CellRef | None, make: Any, cells: Any) -> "Row":
        """A reader's Row whose ``values`` are built by ``make(*cells)`` when first read.

        A table of 5,000 rows has about 100,000 amount cells, and the rules read the Values of only the
        rows whose checks do not hold exactly (they confirm the others column by column from the cells,
        ``reading.tables.amount_numbers``): a Value per cell was most of the cost of reading a table.  The
        instance is the same Row otherwise (``values`` compares, shows, pickles, ``dataclasses.replace``s as
        a field, and can be assigned).  ``cells`` is kept in ``_cells``; once ``values`` is read (or assigned),
        the Values are what counts (``"values" in row.__dict__``).

        ``label_ref`` may be given as a (sheet, row, col) tuple: the CellRef is then built when first read
        (``_label_at``; only a finding names a row's label cell), as ``Value.at`` builds ``ref``."""
        self = _new(cls)
        # plain attribute stores: the fastest way to fill an instance (they share the class's key table)
        self.index = index
        self.kind = kind
        self.label = label
        if label_ref.__class__ is tuple:
            self._label_at = label_ref
        else:
            self.label_ref = label_ref
        self._make = make
        self._cells = cells
        return self

    def __getstate__(self) -> dict[str, Any]:  # pickled (the process pool) with its Values built, without cells
        self.values
        d = self.__dict__
        if "_label_at" in d and "label_ref" not in d:
            self.label_ref
        return {k: v for k, v in d.items() if k not in ("_cells", "_make", "_label_at")}

    @property
    def level(self) -> int:
        """Hierarchy level: 0 total, 1 类, 2 款, 3 项 (function or economic codes)."""
        if self.kind is _TOTAL:
            return 0
        code = self.code or self.econ_dept or ""
        return {3: 1, 5: 2, 7: 3}.get(len(code), 0)

    @property
    def cells(self) -> list[CellRef]:
        return [v.ref for v in self.values.values()]


def _built_values(row: Row) -> dict[str, Value]:
    d = row.__dict__
    cells = d.get("_cells")  # stays: the fast pass reads the cells of rows it has not met
    if cells is None:
        raise AttributeError("'Row' object has no attribute 'values'")
    return d["_make"](*cells)


def _built_label_ref(row: Row) -> CellRef:
    where = row.__dict__.get("_label_at")
    if where is None:
        raise AttributeError("'Row' object has no attribute 'label_ref'")
    return CellRef(*where)


Row.values = _Built("values", _built_values)  # type: ignore[assignment]  # a reader's Row (Row.lazy)
Row.label_ref = _Built("label_ref", _built_label_ref)  # type: ignore[assignment]  # Row.lazy given a (sheet, row, col)


class _Viewed:
    """Derived views computed once per object (``_views`` is the dataclass's own field): a Table's
    hierarchy.Hierarchy (parent/children groups), a Disclosure's rules.narrative.NarrativeView
    (paragraphs, statements, links) and rules.published.PublishedView.  A model is not changed after
    reading; a test that edits one calls ``clear_views()``."""

    _views: dict[type, Any]

    def view(self, cls: type[V]) -> V:
        """The derived view ``cls(self)``, computed on first use."""
        found = self._views.get(cls)
        if found is None:
            found = self._views[cls] = cls(self)
        return found

    def clear_views(self) -> None:
        """Forget the derived views."""
        self._views.clear()


@dataclass
class Table(_Viewed):
    """A recognised table: kind, where it is, its columns and rows."""

    kind: str  # canonical table kind id, e.g. "收支总表"
    title: str  # the title as found in the workbook
    sheet: str
    title_ref: CellRef
    columns: list[Column]
    rows: list[Row]
    unit: str | None = None
    note: str | None = None  # e.g. "（注：2024年没有使用政府性基金预算拨款安排的支出。）"
    missing_rows: list[CellRef] = field(default_factory=list)  # marker cells: rows lost here
    hidden: bool = False  # the sheet holding the table is hidden or very hidden
    title_from_sheet: bool = False  # no title cell: the sheet's name is the title (title_ref: first cell)
    unit_ref: CellRef | None = None  # the cell whose text declares ``unit`` ("单位：元")
    hidden_rows: list[int] = field(default_factory=list)  # 0-based sheet rows hidden inside the table
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)  # reader's notes (unit_label_wrong)
    _views: dict[type, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def truncated(self) -> bool:
        return bool(self.missing_rows)

    @property
    def unread_columns(self) -> list[Column]:
        """Columns with a printed header that was not understood (or could not be told apart from
        another, reading/tables._set_apart_ambiguous): their cells are not read, so the table may hold
        amounts it does not show (no rule may call such a table empty)."""
        return [c for c in self.columns if c.role is None and str(c.header or "").strip()]

    def has(self, key: str) -> bool:
        return any(c.key == key for c in self.columns)

    def keys(self) -> list[str]:
        return [c.key for c in self.columns if c.key]

    def total_row(self, side: str | None = None) -> Row | None:
        total = _TOTAL
        for row in self.rows:
            if row.kind is total and row.side == side:
                return row
        return None

    def data_rows(self) -> Iterator[Row]:
        data = _DATA
        return (r for r in self.rows if r.kind is data)

    def line(self, key: str, side: str | None = None) -> Row | None:
        """A summary-table line by canonical key."""
        for row in self.rows:
            if row.key == key and (side is None or row.side == side):
                return row
        return None

    def by_code(self) -> dict[str, Row]:
        return {r.code: r for r in self.data_rows() if r.code}


@dataclass
class Paragraph:
    """A paragraph of the narrative (情况说明), with the cell it was read from."""

    text: str
    ref: CellRef
    section: str = ""


@dataclass
class Disclosure(_Viewed):
    """A department's disclosure as read from one workbook."""

    source: str
    kind: str | None = None  # 预算 | 决算
    year: int | None = None
    department: str | None = None
    unit: str | None = None
    unit_ref: CellRef | None = None  # the cover cell that fixes ``unit`` (金额单位), when there is one
    format: Any = None  # the schemas.Format it was read as (None: no format recognised)
    tables: dict[str, list[Table]] = field(default_factory=dict)
    narrative: list[Paragraph] = field(default_factory=list)
    # entries of the document's 目录 as printed (a PDF's contents page), leaders and page numbers may
    # remain; empty when the source has none (workbooks).  Read by rules/published.py (WZ811).
    contents: list[str] = field(default_factory=list)
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)  # reader's and archive's notes
    _views: dict[type, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def profile(self) -> str | None:
        """The format's id (reports and archives keep the id, not the object)."""
        return self.format.id if self.format is not None else None

    def table(self, kind: str) -> Table | None:
        found = self.tables.get(kind)
        return found[0] if found else None

    def all_tables(self) -> Iterator[Table]:
        for tables in self.tables.values():
            yield from tables


@dataclass
class Finding:
    """One inconsistency.  Names every cell involved; never claims which side is wrong."""

    code: str
    severity: Severity
    message: str
    cells: list[CellRef] = field(default_factory=list)  # primary cells (e.g. the total)
    expected: Decimal | None = None
    actual: Decimal | None = None
    difference: Decimal | None = None
    related_cells: list[CellRef] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)
    rule_name: str = ""
    table: str | None = None

    @property
    def all_cells(self) -> list[CellRef]:
        return self.cells + [c for c in self.related_cells if c not in self.cells]

    def to_dict(self) -> dict[str, Any]:
        def num(x: Decimal | None) -> str | None:
            return None if x is None else format(x, "f")

        return {
            "code": self.code,
            "rule": self.rule_name,
            "severity": self.severity.value,
            "message": self.message,
            "table": self.table,
            "cells": [str(c) for c in self.cells],
            "related_cells": [str(c) for c in self.related_cells if c not in self.cells],
            "expected": num(self.expected),
            "actual": num(self.actual),
            "difference": num(self.difference),
        }


class Status(str, Enum):
    VERIFIED = "已校验"
    PARTIAL = "部分校验"
    FAILED = "未能校验"


@dataclass(frozen=True)
class FileStatus:
    """How far a file was checked (完整校验 / 部分校验 / 未能校验), and why."""

    level: Status
    reasons: tuple[str, ...] = ()  # Chinese, one per problem
    missing_tables: tuple[str, ...] = ()
    unreadable_tables: tuple[str, ...] = ()

    @property
    def value(self) -> str:
        return self.level.value

    @property
    def checked(self) -> bool:
        return self.level is Status.VERIFIED

    @property
    def failed(self) -> bool:
        return self.level is Status.FAILED

    def describe(self) -> str:
        """One Chinese line: ``部分校验：缺少“项目支出表”``."""
        return f"{self.level.value}：{'；'.join(self.reasons)}" if self.reasons else self.level.value


FINDING_COLUMNS = ["source", "department", "year", "kind", "code", "rule", "severity", "message", "table", "cell",
                   "cells", "related_cells", "expected", "actual", "difference"]

# set by validators.status (imported by the engine and every reporter): computes a FileStatus for a Report
status_of_report: Any = None


@dataclass
class Report:
    """Findings for one source file (or a read error that stopped it)."""

    source: str
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None  # Chinese message when the file could not be validated at all
    disclosure: Disclosure | None = None
    file_status: Any = None  # status.FileStatus, set by the engine; read it through ``status``
    baselined: list[Finding] = field(default_factory=list)  # findings hidden by --baseline (see baseline.py)

    @property
    def status(self) -> "FileStatus":  # 已校验 / 部分校验 / 未能校验
        if self.error:  # a read error, or a failure after validation: never shown as checked
            return FileStatus(Status.FAILED, (self.error,))
        if self.file_status is None:  # a Report built by hand: validators.status (reporters import it) decides
            if status_of_report is None:
                raise RuntimeError("import validators.status before asking a hand-built Report for its status")
            return status_of_report(self)
        return self.file_status

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)

    def flatten(self, fields: tuple[str, ...] = ("code", "severity", "cells", "message")) -> list[dict[str, Any]]:
        """One plain dict per finding holding ``fields`` of ``Finding.to_dict``: for tests, snapshots, reports."""
        return [{k: d[k] for k in fields} for d in (f.to_dict() for f in self.findings)]

    @property
    def has_errors(self) -> bool:
        return self.count(Severity.ERROR) > 0

    def finding_rows(self) -> list[dict[str, Any]]:
        """One plain dict per finding with the file's department, year and kind (FINDING_COLUMNS)."""
        d = self.disclosure
        return [{
            "source": self.source, "department": d.department if d else None, "year": d.year if d else None,
            "kind": d.kind if d else None, "code": f.code, "rule": f.rule_name, "severity": f.severity.value,
            "message": f.message, "table": f.table, "cell": str(f.cells[0]) if f.cells else None,
            "cells": [str(c) for c in f.cells], "related_cells": [str(c) for c in f.related_cells],
            "expected": f.expected, "actual": f.actual, "difference": f.difference,
        } for f in self.findings]

    def to_frame(self):
        """The findings as a pandas DataFrame, one row per finding (validators.api.findings_frame for many)."""
        import pandas as pd

        return pd.DataFrame(self.finding_rows(), columns=FINDING_COLUMNS)
