"""The archive: every validated disclosure with every value and its cell, in SQLite or PostgreSQL.

SQLAlchemy Core only (no ORM), portable types (amounts as exact decimal text), so the same code runs on an
embedded SQLite file in the user's data folder and on a PostgreSQL server holding every department's
documents for many years.  A document is identified by its department key, level, kind and year: adding a
corrected file replaces the earlier one; the same file (same SHA-256) is not stored twice.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import sys
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ..model import CellRef, Column, Disclosure, Finding, Paragraph, Report, Row, RowKind, Table, Value
from . import identity
from .facts import row_keys

ARCHIVE_ENV = "CZCHECK_ARCHIVE"
DB_NAME = "archive.sqlite3"


class ArchiveError(Exception):
    """The archive cannot be opened or written; the message is Chinese."""


def default_location() -> Path:
    """%APPDATA%\\czcheck on Windows, $XDG_DATA_HOME/czcheck or ~/.local/share/czcheck elsewhere."""
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "czcheck" / DB_NAME


def archive_url(location: str | None) -> str:
    """A SQLAlchemy URL from ``--archive`` (a path, a URL, or nothing: $CZCHECK_ARCHIVE, then the default)."""
    location = location or os.environ.get(ARCHIVE_ENV) or ""
    if "://" in location:
        return location
    path = Path(location) if location else default_location()
    if path.is_dir():
        path = path / DB_NAME
    return "sqlite:///" + str(path.resolve())


# ---------------------------------------------------------------- schema

def _schema():
    import sqlalchemy as sa

    md = sa.MetaData()
    T, I, B = sa.Text, sa.Integer, sa.Boolean
    docs = sa.Table(
        "documents", md,
        sa.Column("id", I, primary_key=True, autoincrement=True),
        sa.Column("sha256", sa.String(64), nullable=False, index=True),
        sa.Column("source", T, nullable=False),
        sa.Column("department", T),  # as printed
        sa.Column("dept_key", T, index=True),  # identity key (identity.normalise + mapping)
        sa.Column("level", sa.String(8)),  # 部门 | 单位
        sa.Column("kind", sa.String(8)),  # 预算 | 决算
        sa.Column("year", I),
        sa.Column("profile", sa.String(64)),
        sa.Column("unit", sa.String(16)),
        sa.Column("added_at", sa.String(32)),
        sqlite_autoincrement=True,  # an id is never reused after a document is replaced
    )
    def key():
        return [sa.Column("document_id", I, sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False, index=True)]
    tables = sa.Table(
        "doc_tables", md, *key(),
        sa.Column("seq", I, nullable=False), sa.Column("kind", T), sa.Column("title", T), sa.Column("sheet", T),
        sa.Column("title_row", I), sa.Column("title_col", I), sa.Column("unit", T), sa.Column("note", T),
        sa.Column("hidden", B), sa.Column("missing_rows", T),
    )
    columns = sa.Table(
        "doc_columns", md, *key(),
        sa.Column("table_seq", I, nullable=False), sa.Column("position", I), sa.Column("col_index", I),
        sa.Column("header", T), sa.Column("role", T), sa.Column("col_group", T), sa.Column("side", T),
    )
    rows = sa.Table(
        "doc_rows", md, *key(),
        sa.Column("table_seq", I, nullable=False), sa.Column("position", I), sa.Column("row_key", T),
        sa.Column("sheet_row", I), sa.Column("row_kind", sa.String(8)), sa.Column("side", T), sa.Column("line_key", T),
        sa.Column("code", T), sa.Column("econ_dept", T), sa.Column("econ_gov", T), sa.Column("label", T),
        sa.Column("label_sheet", T), sa.Column("label_row", I), sa.Column("label_col", I),
    )
    values = sa.Table(
        "doc_values", md, *key(),
        sa.Column("table_seq", I, nullable=False), sa.Column("row_position", I), sa.Column("position", I), sa.Column("table_kind", T),
        sa.Column("row_key", T), sa.Column("column_key", T), sa.Column("amount", T), sa.Column("raw", T),
        sa.Column("problem", T), sa.Column("half_ulp", T),
        sa.Column("sheet", T), sa.Column("cell_row", I), sa.Column("cell_col", I), sa.Column("cell", T),
        sa.Column("page", I),  # the PDF page of the cell, for documents read from a PDF
    )
    paragraphs = sa.Table(
        "doc_paragraphs", md, *key(),
        sa.Column("position", I), sa.Column("text", T), sa.Column("section", T),
        sa.Column("sheet", T), sa.Column("cell_row", I), sa.Column("cell_col", I), sa.Column("page", I),
    )
    statements = sa.Table(
        "doc_statements", md, *key(),
        sa.Column("position", I), sa.Column("kind", T), sa.Column("subject", T), sa.Column("text", T),
        sa.Column("amount", T), sa.Column("amount_unit", T), sa.Column("percent", T), sa.Column("direction", T),
        sa.Column("paragraph", I), sa.Column("cell", T),
    )
    findings = sa.Table(
        "doc_findings", md, *key(),
        sa.Column("position", I), sa.Column("code", T), sa.Column("severity", T), sa.Column("message", T),
        sa.Column("table_kind", T), sa.Column("cells", T), sa.Column("related_cells", T),
        sa.Column("expected", T), sa.Column("actual", T), sa.Column("difference", T), sa.Column("evidence", T),
    )
    units = sa.Table(  # the units a 部门 document lists (its 机构设置): finds a unit's department without loading all
        "doc_units", md, *key(),
        sa.Column("unit_key", T, index=True), sa.Column("merged", B),
    )
    return md, dict(documents=docs, tables=tables, columns=columns, rows=rows, values=values,
                    paragraphs=paragraphs, statements=statements, findings=findings, units=units)


def _dec(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _num(x: Decimal | None) -> str | None:
    return None if x is None else format(x, "f")


@dataclass
class DocumentInfo:
    id: int
    source: str
    department: str | None
    dept_key: str | None
    level: str | None
    kind: str | None
    year: int | None
    profile: str | None
    unit: str | None
    added_at: str | None
    sha256: str

    def label(self) -> str:
        return f"{self.year or '?'}年{self.department or '（未识别部门）'}{self.level or ''}{self.kind or ''}"


@dataclass
class AddResult:
    document: DocumentInfo
    status: str  # 新增 | 更新 | 已存在
    note: str = ""  # identity remark (简称 / 不唯一)


class Archive:
    """An open archive.  ``Archive.open(location)``; use as a context manager or call ``close()``."""

    def __init__(self, engine, mapping: identity.Mapping | None = None):
        self.engine = engine
        self.metadata, self.t = _schema()
        self.mapping = mapping or identity.Mapping()

    @classmethod
    def open(cls, location: str | None = None, mapping: identity.Mapping | None = None) -> "Archive":
        import sqlalchemy as sa

        url = archive_url(location)
        try:
            if url.startswith("sqlite:///"):
                Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(url)
            if engine.dialect.name == "sqlite":
                sa.event.listen(engine, "connect", lambda conn, _rec: conn.execute("PRAGMA foreign_keys=ON"))
            archive = cls(engine, mapping)
            archive.metadata.create_all(engine)
        except ImportError as exc:  # the database driver is not installed
            raise ArchiveError(f"无法打开档案库 {_safe_url(url)}：缺少数据库驱动（{exc.name or exc}）；"
                               "PostgreSQL 请先安装：pip install 'czcheck[postgresql]'") from None
        except (sa.exc.SQLAlchemyError, OSError, ValueError) as exc:
            raise ArchiveError(f"无法打开档案库 {_safe_url(url)}：{_short_error(exc)}") from None
        return archive

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def url(self) -> str:
        return _safe_url(str(self.engine.url))

    # ------------------------------------------------------------ writing

    def known_departments(self) -> set[str]:
        import sqlalchemy as sa

        with self.engine.connect() as conn:
            return {k for (k,) in conn.execute(sa.select(self.t["documents"].c.dept_key).distinct()) if k}

    def add(self, report: Report, data: bytes | None = None) -> AddResult:
        """Store a validated report (its disclosure must be the full one, with tables)."""
        import sqlalchemy as sa

        d = report.disclosure
        if d is None:
            raise ArchiveError(f"{report.source}：没有可存档的内容（{report.error or '文件未能读取'}）")
        if data is None:
            try:
                data = Path(report.source).read_bytes()
            except OSError:
                data = report.source.encode("utf-8")
        sha = hashlib.sha256(data).hexdigest()
        resolution = identity.resolve(d.department, self.known_departments(), self.mapping)
        dept_key = resolution.key or identity.normalise(d.department)
        level = identity.level_of(d)
        docs = self.t["documents"]
        try:
            with self.engine.begin() as conn:
                same = conn.execute(sa.select(docs).where(docs.c.sha256 == sha)).mappings().first()
                if same is not None:
                    return AddResult(_info(same), "已存在", resolution.describe())
                old = conn.execute(sa.select(docs.c.id).where(
                    docs.c.dept_key == dept_key, docs.c.level == level, docs.c.kind == d.kind, docs.c.year == d.year,
                )).scalars().all() if d.year is not None and d.kind else []
                for doc_id in old:
                    self._delete(conn, doc_id)
                row = dict(sha256=sha, source=str(Path(report.source).resolve()) if Path(report.source).exists() else report.source,
                           department=d.department, dept_key=dept_key, level=level, kind=d.kind, year=d.year,
                           profile=d.profile, unit=d.unit, added_at=_dt.datetime.now().isoformat(timespec="seconds"))
                doc_id = conn.execute(sa.insert(docs).values(**row)).inserted_primary_key[0]
                self._insert_content(conn, doc_id, d, report.findings)
        except sa.exc.SQLAlchemyError as exc:
            raise ArchiveError(f"写入档案库失败：{_short_error(exc)}") from None
        return AddResult(DocumentInfo(id=doc_id, **row), "更新" if old else "新增", resolution.describe())

    def replace_findings(self, doc_id: int, findings: list[Finding]) -> None:
        import sqlalchemy as sa

        t = self.t["findings"]
        with self.engine.begin() as conn:
            conn.execute(sa.delete(t).where(t.c.document_id == doc_id))
            self._insert_findings(conn, doc_id, findings)

    def merge_findings(self, doc_id: int, findings: list[Finding], counterpart: str) -> None:
        """Cross-document findings about a stored document, found while another document (``counterpart``, its
        source) was checked: they replace the stored findings of that document that name the same counterpart."""
        import sqlalchemy as sa

        t = self.t["findings"]
        try:
            with self.engine.begin() as conn:
                rows = conn.execute(sa.select(t.c.position, t.c.code, t.c.evidence).where(t.c.document_id == doc_id)).all()
                stale = [pos for pos, code, ev in rows if code.startswith("KW") and counterpart in _counterpart_sources(ev)]
                if stale:
                    conn.execute(sa.delete(t).where(t.c.document_id == doc_id, t.c.position.in_(stale)))
                start = max((pos for pos, _c, _e in rows), default=-1) + 1
                self._insert_findings(conn, doc_id, findings, start)
        except sa.exc.SQLAlchemyError as exc:
            raise ArchiveError(f"写入档案库失败：{_short_error(exc)}") from None

    def _delete(self, conn, doc_id: int) -> None:
        import sqlalchemy as sa

        for name in ("values", "rows", "columns", "tables", "paragraphs", "statements", "findings", "units"):
            t = self.t[name]
            conn.execute(sa.delete(t).where(t.c.document_id == doc_id))
        conn.execute(sa.delete(self.t["documents"]).where(self.t["documents"].c.id == doc_id))

    def delete(self, doc_id: int) -> bool:
        with self.engine.begin() as conn:
            if self._document(conn, doc_id) is None:
                return False
            self._delete(conn, doc_id)
        return True

    def _insert_content(self, conn, doc_id: int, d: Disclosure, findings: list[Finding]) -> None:
        import sqlalchemy as sa

        from ..rules.narrative import statements

        tables, columns, rows, values = [], [], [], []
        where = d.cache.get("pdf_where") or {}  # (sheet, row, col) -> where on the PDF (the PDF reader's)

        def page(ref) -> int | None:
            found = where.get((ref.sheet, ref.row, ref.col))
            number = getattr(found, "page", None)
            return number if isinstance(number, int) else None

        for seq, t in enumerate(d.all_tables()):
            tables.append(dict(document_id=doc_id, seq=seq, kind=t.kind, title=t.title, sheet=t.sheet,
                               title_row=t.title_ref.row, title_col=t.title_ref.col, unit=t.unit, note=t.note,
                               hidden=bool(t.hidden), missing_rows=json.dumps([[c.sheet, c.row, c.col] for c in t.missing_rows], ensure_ascii=False)))
            for pos, c in enumerate(t.columns):
                columns.append(dict(document_id=doc_id, table_seq=seq, position=pos, col_index=c.index, header=c.header,
                                    role=c.role, col_group=c.group, side=c.side))
            for pos, (r, key) in enumerate(zip(t.rows, row_keys(t))):
                lr = r.label_ref
                rows.append(dict(document_id=doc_id, table_seq=seq, position=pos, row_key=key, sheet_row=r.index,
                                 row_kind=r.kind.value, side=r.side, line_key=r.key, code=r.code, econ_dept=r.econ_dept,
                                 econ_gov=r.econ_gov, label=r.label, label_sheet=lr.sheet if lr else None,
                                 label_row=lr.row if lr else None, label_col=lr.col if lr else None))
                for vpos, (col_key, v) in enumerate(r.values.items()):
                    values.append(dict(document_id=doc_id, table_seq=seq, row_position=pos, position=vpos, table_kind=t.kind, row_key=key,
                                       column_key=col_key, amount=_num(v.amount), raw=None if v.raw is None else str(v.raw)[:500],
                                       problem=v.problem, half_ulp=_num(v.half_ulp), sheet=v.ref.sheet, cell_row=v.ref.row,
                                       cell_col=v.ref.col, cell=str(v.ref), page=page(v.ref)))
        paragraphs = [dict(document_id=doc_id, position=i, text=p.text, section=p.section, sheet=p.ref.sheet,
                           cell_row=p.ref.row, cell_col=p.ref.col, page=page(p.ref)) for i, p in enumerate(d.narrative)]
        try:
            sts = statements(d)
        except (ArithmeticError, ValueError, KeyError, IndexError, TypeError):
            sts = []
        stmts = [dict(document_id=doc_id, position=s.index, kind=s.kind, subject=s.subject, text=s.text, amount=_num(s.amount),
                      amount_unit=s.unit, percent=_num(s.percent), direction=s.direction, paragraph=s.paragraph, cell=str(s.ref))
                 for s in sts]
        listed = identity.listed_units(d)
        units = [dict(document_id=doc_id, unit_key=self.mapping.canonical(u), merged=False) for u in listed.separate]
        units += [dict(document_id=doc_id, unit_key=self.mapping.canonical(u), merged=True) for u in listed.merged]
        for name, batch in (("tables", tables), ("columns", columns), ("rows", rows), ("values", values),
                            ("paragraphs", paragraphs), ("statements", stmts), ("units", units)):
            if batch:
                conn.execute(sa.insert(self.t[name]), batch)
        self._insert_findings(conn, doc_id, findings)

    def _insert_findings(self, conn, doc_id: int, findings: list[Finding], start: int = 0) -> None:
        import sqlalchemy as sa

        batch = [dict(document_id=doc_id, position=start + i, code=f.code, severity=f.severity.value, message=f.message, table_kind=f.table,
                      cells=" ".join(str(c) for c in f.cells), related_cells=" ".join(str(c) for c in f.related_cells),
                      expected=_num(f.expected), actual=_num(f.actual), difference=_num(f.difference),
                      evidence=json.dumps(f.evidence, ensure_ascii=False, default=str) if f.evidence else None)
                 for i, f in enumerate(findings)]
        if batch:
            conn.execute(sa.insert(self.t["findings"]), batch)

    # ------------------------------------------------------------ reading

    def _document(self, conn, doc_id: int):
        import sqlalchemy as sa

        docs = self.t["documents"]
        return conn.execute(sa.select(docs).where(docs.c.id == doc_id)).mappings().first()

    def documents(self, department: str | None = None, year: int | None = None, kind: str | None = None,
                  level: str | None = None, dept_key: str | None = None) -> list[DocumentInfo]:
        import sqlalchemy as sa

        docs = self.t["documents"]
        q = sa.select(docs)
        if department:
            res = identity.resolve(department, self.known_departments(), self.mapping)
            q = q.where(docs.c.dept_key == (res.key or identity.normalise(department)))
        if dept_key is not None:
            q = q.where(docs.c.dept_key == dept_key)
        if year is not None:
            q = q.where(docs.c.year == year)
        if kind:
            q = q.where(docs.c.kind == kind)
        if level:
            q = q.where(docs.c.level == level)
        q = q.order_by(docs.c.dept_key, docs.c.year, docs.c.kind, docs.c.level, docs.c.id)
        with self.engine.connect() as conn:
            return [_info(r) for r in conn.execute(q).mappings()]

    def departments_listing(self, unit_key: str, kind: str, year: int) -> list[DocumentInfo]:
        """部门 documents of that kind and year that list the unit as one with its own budget, or share its key."""
        import sqlalchemy as sa

        docs, units = self.t["documents"], self.t["units"]
        listing = sa.select(units.c.document_id).where(units.c.unit_key == unit_key, units.c.merged == sa.false())
        q = sa.select(docs).where(docs.c.level == identity.LEVEL_DEPARTMENT, docs.c.kind == kind, docs.c.year == year,
                                  sa.or_(docs.c.dept_key == unit_key, docs.c.id.in_(listing))).order_by(docs.c.id)
        with self.engine.connect() as conn:
            return [_info(r) for r in conn.execute(q).mappings()]

    def document(self, doc_id: int) -> DocumentInfo | None:
        with self.engine.connect() as conn:
            row = self._document(conn, doc_id)
        return _info(row) if row else None

    def load(self, doc_id: int) -> Disclosure:
        """The stored disclosure, rebuilt: tables, columns, rows, every value with its cell, the narrative."""
        import sqlalchemy as sa

        t = self.t
        with self.engine.connect() as conn:
            doc = self._document(conn, doc_id)
            if doc is None:
                raise ArchiveError(f"档案库中没有编号为 {doc_id} 的文件")

            def rows_of(name, *order):
                tab = t[name]
                return conn.execute(sa.select(tab).where(tab.c.document_id == doc_id)
                                    .order_by(*[tab.c[o] for o in order])).mappings().all()

            tables = rows_of("tables", "seq")
            columns = rows_of("columns", "table_seq", "position")
            rows = rows_of("rows", "table_seq", "position")
            values = rows_of("values", "table_seq", "row_position", "position")
            paragraphs = rows_of("paragraphs", "position")
        from ..schemas import formats

        d = Disclosure(source=doc["source"], kind=doc["kind"], year=doc["year"], department=doc["department"],
                       unit=doc["unit"], format=formats().get(doc["profile"] or ""))
        built: dict[int, Table] = {}
        for r in tables:
            missing = [CellRef(s, a, b) for s, a, b in json.loads(r["missing_rows"] or "[]")]
            table = Table(kind=r["kind"], title=r["title"], sheet=r["sheet"], title_ref=CellRef(r["sheet"], r["title_row"], r["title_col"]),
                          columns=[], rows=[], unit=r["unit"], note=r["note"], missing_rows=missing, hidden=bool(r["hidden"]))
            built[r["seq"]] = table
            d.tables.setdefault(table.kind, []).append(table)
        for c in columns:
            built[c["table_seq"]].columns.append(Column(index=c["col_index"], header=c["header"], role=c["role"], group=c["col_group"], side=c["side"]))
        row_objs: dict[tuple[int, int], Row] = {}
        pages: dict[tuple[str, int, int], int] = {}  # the PDF page of each cell, for documents read from a PDF
        for r in rows:
            label_ref = CellRef(r["label_sheet"], r["label_row"], r["label_col"]) if r["label_sheet"] is not None else None
            row = Row(index=r["sheet_row"], kind=RowKind(r["row_kind"]), label=r["label"] or "", label_ref=label_ref, side=r["side"],
                      key=r["line_key"], code=r["code"], econ_dept=r["econ_dept"], econ_gov=r["econ_gov"])
            built[r["table_seq"]].rows.append(row)
            row_objs[(r["table_seq"], r["position"])] = row
        for v in values:
            value = Value(amount=_dec(v["amount"]), raw=v["raw"], ref=CellRef(v["sheet"], v["cell_row"], v["cell_col"]),
                          problem=v["problem"], half_ulp=_dec(v["half_ulp"]) or Decimal("0.005"))
            row_objs[(v["table_seq"], v["row_position"])].values[v["column_key"]] = value
            if v["page"] is not None:
                pages[(v["sheet"], v["cell_row"], v["cell_col"])] = v["page"]
        d.narrative = [Paragraph(text=p["text"], ref=CellRef(p["sheet"], p["cell_row"], p["cell_col"]), section=p["section"] or "")
                       for p in paragraphs]
        d.cache["archive_id"] = doc_id
        if pages:
            d.cache["cell_pages"] = pages
        d.cache["archive_level"] = doc["level"]
        d.cache["archive_dept_key"] = doc["dept_key"]
        return d

    def findings(self, doc_id: int) -> list[dict]:
        import sqlalchemy as sa

        t = self.t["findings"]
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(sa.select(t).where(t.c.document_id == doc_id).order_by(t.c.position)).mappings()]

    # ------------------------------------------------------------ analysis (pandas)

    def values_frame(self, department: str | None = None, year: int | None = None):
        """Every stored value with its document's department, level, kind, year: a pandas DataFrame."""
        return self._frame("values", department, year)

    def findings_frame(self, department: str | None = None, year: int | None = None):
        return self._frame("findings", department, year)

    def statements_frame(self, department: str | None = None, year: int | None = None):
        return self._frame("statements", department, year)

    def documents_frame(self):
        import pandas as pd

        return pd.DataFrame([vars(d) for d in self.documents()])

    def _frame(self, name: str, department: str | None, year: int | None):
        import pandas as pd
        import sqlalchemy as sa

        docs, t = self.t["documents"], self.t[name]
        q = sa.select(docs.c.department, docs.c.dept_key, docs.c.level, docs.c.kind, docs.c.year, docs.c.profile,
                      *[c for c in t.c]).join(t, t.c.document_id == docs.c.id)
        if department:
            ids = [d.id for d in self.documents(department=department)]
            q = q.where(docs.c.id.in_(ids))
        if year is not None:
            q = q.where(docs.c.year == year)
        with self.engine.connect() as conn:
            frame = pd.DataFrame(conn.execute(q).mappings().all())
        for col in ("amount", "half_ulp", "expected", "actual", "difference", "percent"):
            if col in frame.columns:
                frame[col] = frame[col].map(_dec)
        # the same column names as validators.api.values_frame / findings_frame
        return frame.rename(columns={"table_kind": "table", "row_key": "row", "column_key": "column"})


def _counterpart_sources(evidence: str | None) -> set[str]:
    try:
        data = json.loads(evidence) if evidence else {}
    except ValueError:
        return set()
    return {c.get("source") for c in data.get("counterparts", []) if isinstance(c, dict)}


def _info(row) -> DocumentInfo:
    return DocumentInfo(**{k: row[k] for k in DocumentInfo.__dataclass_fields__})


def _safe_url(url: str) -> str:
    """The URL without a password."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - only for display
        return url


def _short_error(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
