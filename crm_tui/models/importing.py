"""Importing records from spreadsheets: the column mapping, the dry run,
and the import itself in batches.

A kind of record is importable when it declares an `ImportSpec` (see
crm_tui.models.customer_import for customers, contacts and
interactions): the fields a column can fill, the headers that name each
field in Chinese and English, and an `Importer` that judges one row (the
same rules as the kind's form: created, updated, skipped as a duplicate, or
refused with the reason) and writes a batch of judged rows.

Every cell is hostile: control characters, bidi overrides and lone
surrogates are dropped before anything looks at it, and the text is stored
plain. A bad row is refused with its reason; it never stops the batch.

The same file imported again creates nothing twice: each importer knows
the key by which a row finds the record it made before.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import re
import uuid
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator, Sequence, TextIO

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

import crm_tui.models  # load_all: every model module, which registers its import kinds
from crm_tui import clock
from crm_tui.documents import DocumentStore, FileRefused, export_target
from crm_tui.i18n import strings, t
from crm_tui.models.audit import AuditLog
from crm_tui.models.base import BaseModel, database
from crm_tui.models.errors import CrmError, ValidationError
from crm_tui.models.users import User, require
from crm_tui.plain_text import without_refused
from crm_tui.private import PRIVATE_FILE
from crm_tui.tabular import Table, TableUnreadable, read_table

CREATED, UPDATED, DUPLICATE, REFUSED = "created", "updated", "duplicate", "refused"
OUTCOMES = (CREATED, UPDATED, DUPLICATE, REFUSED)
# Rows written per transaction: big enough for speed, small enough that an
# interrupted import loses little and other users wait little.
BATCH_ROWS = 1000
# Refusals kept in memory to show; the file of refused rows has them all.
SHOWN_REFUSALS = 500
# An Excel date serial: 1900-01-01 is 1, 2100-01-01 is 73051.
EXCEL_EPOCH = dt.date(1899, 12, 30)
EXCEL_SERIALS = (1, 73051)
IMPORT_ACTION = "import"


# ----- what a kind declares ----------------------------------------------------

@dataclass(frozen=True)
class ImportField:
    """A field a column can fill: the name the kind's form uses, its label,
    and the headers (besides its label in every language) that name it."""

    name: str
    label: str
    headers: tuple[str, ...] = ()
    # How a cell is read: text, multiline, date or number.
    cell: str = "text"
    required: bool = False
    # For a field whose text names a record (a region, a level, a
    # manager): the known names as {comparable text: id}. A text none
    # matches is mapped by the user to one of them, or the row is refused.
    lookup: Callable[[], dict[str, Any]] | None = None
    # The choices to map an unknown text to: [(id, label)].
    choices: Callable[[], Sequence[tuple[Any, str]]] | None = None


@dataclass
class Verdict:
    """What one row comes to: its outcome, what to write, and why."""

    outcome: str
    data: dict[str, Any] | None = None
    reason: str = ""
    record_id: int | None = None
    # The row's cells and its number in the file (set by the run).
    cells: list[Any] = field(default_factory=list, repr=False)
    row_number: int = 0


class RightsAsRead:
    """A user whose rights are read once: an import checks a batch of a
    thousand rows against the rights as they were when the batch began
    (read again for the next batch), not with a query per row."""

    def __init__(self, user: User):
        self.user = user
        self.codes = frozenset(user.permissions())

    def has_perm(self, code: str) -> bool:
        return code in self.codes

    def permissions(self) -> set[str]:
        return set(self.codes)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.user, name)


class Importer:
    """Judges the rows of one import for one user and writes them; made
    anew for every run, so it may keep what it learnt (the keys of the
    records it will create) from one row to the next.

    `rights` is the user with the rights of the current batch, for the
    checks; the user itself writes (and is named by the audit rows)."""

    rights: Any = None

    def judge(self, values: dict[str, Any]) -> Verdict:
        raise NotImplementedError

    def write(self, verdicts: list[Verdict], label: str) -> None:
        """Write the created and updated rows of one batch, inside the
        batch's transaction, each with an audit row naming `label`."""
        raise NotImplementedError


@dataclass(frozen=True)
class ImportSpec:
    kind: str
    title: str
    permission: str
    fields: tuple[ImportField, ...]
    begin: Callable[[User], Importer]
    # A sentence saying how a row finds the record it made before.
    matching: str = ""

    def field(self, name: str) -> ImportField:
        return next(item for item in self.fields if item.name == name)


IMPORT_SPECS: dict[str, ImportSpec] = {}


def register_import(spec: ImportSpec) -> ImportSpec:
    IMPORT_SPECS[spec.kind] = spec
    return spec


def import_kinds() -> list[str]:
    """What can be imported: every model module loaded, so every kind has registered."""
    crm_tui.models.load_all()
    return list(IMPORT_SPECS)


def import_spec(kind: str) -> ImportSpec:
    import_kinds()
    try:
        return IMPORT_SPECS[kind]
    except KeyError:
        raise ValidationError({"kind": t("importing.error.unknown_kind", kind=kind,
                                         kinds=", ".join(sorted(IMPORT_SPECS)))}) from None


# ----- the mapping: which column fills which field --------------------------------

def comparable(text: Any) -> str:
    """A header or a value as compared: width, case, spaces, punctuation,
    the required mark and bracketed notes ("注册资金（万元）") ignored."""
    folded = unicodedata.normalize("NFKC", str(text or "")).casefold()
    folded = re.sub(r"\([^)]*\)|\[[^\]]*\]", "", folded)
    return re.sub(r"[\W_]+", "", folded)


@dataclass
class Mapping:
    """The field of each column (None: not imported), and the user's
    answers for texts that name no known record: {field: {text: id}}, an
    id of None refusing the rows with that text."""

    columns: list[str | None]
    values: dict[str, dict[str, Any]] = field(default_factory=dict)

    def check(self, spec: ImportSpec) -> None:
        """Raise unless every field is filled by one column at most."""
        known = {item.name for item in spec.fields}
        used = [name for name in self.columns if name]
        errors = {name: t("importing.error.unknown_field") for name in used if name not in known}
        errors.update({name: t("importing.error.two_columns") for name in set(used)
                       if used.count(name) > 1})
        if not used:
            errors["columns"] = t("importing.error.nothing_mapped")
        if errors:
            raise ValidationError(errors)

    def to_json(self) -> str:
        return json.dumps({"columns": self.columns, "values": self.values}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str, width: int) -> "Mapping":
        data = json.loads(text)
        columns = list(data.get("columns", []))[:width]
        return cls(columns + [None] * (width - len(columns)), dict(data.get("values", {})))


def guess_mapping(spec: ImportSpec, headers: Sequence[str]) -> Mapping:
    """The field each header names, by the field's label in English or
    Chinese or one of its usual headers; each field to one column."""
    names: dict[str, str] = {}
    for item in spec.fields:
        for text in (*item.headers, *(strings(locale).get(item.label, "")
                                      for locale in ("en", "zh_CN"))):
            if comparable(text):
                names.setdefault(comparable(text), item.name)
    columns: list[str | None] = []
    for header in headers:
        name = names.get(comparable(header))
        if name is None:
            # "联系方式 电话": a grouped header is named by its last word.
            words = str(header).split()
            name = names.get(comparable(words[-1])) if len(words) > 1 else None
        columns.append(name if name not in columns else None)
    return Mapping(columns)


def header_shape(headers: Sequence[str]) -> str:
    """Files of the same shape (the same headers in the same order) share
    a saved mapping."""
    return hashlib.sha256("\x1f".join(comparable(h) for h in headers).encode()).hexdigest()


class ImportMapping(BaseModel):
    """The mapping last used for files of one kind and shape."""

    kind = CharField(max_length=40)
    shape = CharField(max_length=64)
    mapping = TextField()
    saved_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    saved_at = DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("kind", "shape"), True),)


def _is_reason(header: str) -> bool:
    return comparable(header) in {comparable(strings(locale).get("importing.reason", ""))
                                  for locale in ("en", "zh_CN")}


def mapping_for(spec: ImportSpec, headers: Sequence[str]) -> tuple[Mapping, bool]:
    """The saved mapping for files of this shape (True), else a guess
    (False). A file of refused rows, fixed, has the shape of the file it
    came from: its last column, the reason, is not imported."""
    shape = list(headers[:-1]) if headers and _is_reason(headers[-1]) else list(headers)
    saved = ImportMapping.get_or_none((ImportMapping.kind == spec.kind)
                                      & (ImportMapping.shape == header_shape(shape)))
    if saved is not None:
        try:
            return Mapping.from_json(saved.mapping, len(headers)), True
        except (ValueError, TypeError, AttributeError):
            pass  # unreadable: guessed anew
    return guess_mapping(spec, headers), False


def save_mapping(actor: User, spec: ImportSpec, headers: Sequence[str], mapping: Mapping) -> None:
    """Keep `mapping` for the next file of this shape."""
    require(actor, spec.permission)
    mapping.check(spec)
    if headers and _is_reason(headers[-1]):
        headers, mapping = headers[:-1], Mapping(mapping.columns[:-1], mapping.values)
    shape = header_shape(headers)
    with database.atomic():
        updated = (ImportMapping.update(mapping=mapping.to_json(), saved_by=actor.id,
                                        saved_at=clock.now())
                   .where((ImportMapping.kind == spec.kind) & (ImportMapping.shape == shape))
                   .execute())
        if not updated:
            ImportMapping.create(kind=spec.kind, shape=shape, mapping=mapping.to_json(),
                                 saved_by=actor.id, saved_at=clock.now())


# ----- cells ----------------------------------------------------------------------

def cell_text(cell: Any, kind: str = "text") -> str:
    """A cell as the text a person would have typed into the form: numbers
    without a spurious ".0", dates as YYYY-MM-DD (Excel serials and the
    usual written forms too), control characters dropped."""
    if cell is None:
        return ""
    if kind == "date":
        return _date_text(cell)
    if type(cell) is str:  # every cell of a CSV: the short way
        text = cell
    elif isinstance(cell, dt.datetime):
        text = cell.date().isoformat() if cell.time() == dt.time() else cell.isoformat(" ")
    elif isinstance(cell, dt.date):
        text = cell.isoformat()
    elif isinstance(cell, bool):
        text = str(cell)
    elif isinstance(cell, float):
        text = str(int(cell)) if cell.is_integer() and abs(cell) < 1e15 else repr(cell)
    elif isinstance(cell, (int, Decimal)):
        text = str(cell)
    else:
        text = str(cell)
    allow = "\n\t" if kind == "multiline" else ""
    return without_refused(text, allow=allow).strip()


_DATE_FORMS = (re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"),
               re.compile(r"(\d{4})(\d{2})(\d{2})"))


def _date_text(cell: Any) -> str:
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    if isinstance(cell, (int, float, Decimal)) and not isinstance(cell, bool):
        text = str(int(cell)) if float(cell).is_integer() else str(cell)
    else:
        text = without_refused(str(cell), allow="").strip()
    if re.fullmatch(r"\d{1,5}(\.\d+)?", text) and EXCEL_SERIALS[0] <= float(text) <= EXCEL_SERIALS[1]:
        # An Excel serial: days since 1899-12-30 (a time of day after the point).
        return (EXCEL_EPOCH + dt.timedelta(days=int(float(text)))).isoformat()
    # "2026-11-24 09:30", "2026/11/24", "2026年11月24日", "20261124": the date part.
    first = text.split()[0] if text.split() else ""
    for form in _DATE_FORMS:
        match = form.fullmatch(first)
        if match:
            year, month, day = (int(part) for part in match.groups())
            try:
                return dt.date(year, month, day).isoformat()
            except ValueError:
                return text
    return text


# ----- a run --------------------------------------------------------------------

class ImportRun(BaseModel):
    """One import (not a dry run): who, when, which file, what came of it.
    Every record it made or changed has an audit row naming it."""

    kind = CharField(max_length=40)
    file_name = CharField(max_length=250)
    actor = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    started_at = DateTimeField(default=clock.now)
    finished_at = DateTimeField(null=True)
    created = IntegerField(default=0)
    updated = IntegerField(default=0)
    duplicates = IntegerField(default=0)
    refused = IntegerField(default=0)

    @property
    def label(self) -> str:
        return f"import {self.id}: {self.file_name}"


@dataclass
class ImportReport:
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    duplicates: int = 0
    refused: int = 0
    # (row number in the file, reason), the first SHOWN_REFUSALS of them.
    refusals: list[tuple[int, str]] = field(default_factory=list)
    # Texts of lookup fields that name nothing known: {field: {text: rows}}.
    unknown: dict[str, dict[str, int]] = field(default_factory=dict)
    run_id: int | None = None
    stopped: bool = False

    def count(self, outcome: str) -> None:
        attribute = "duplicates" if outcome == DUPLICATE else outcome
        setattr(self, attribute, getattr(self, attribute) + 1)

    def summary(self) -> str:
        key = "importing.summary.dry_run" if self.dry_run else "importing.summary.done"
        return t(key, rows=self.rows, created=self.created, updated=self.updated,
                 duplicates=self.duplicates, refused=self.refused)


class RowReader:
    """Turns the cells of one row into the values of the kind's form,
    through the mapping."""

    def __init__(self, spec: ImportSpec, mapping: Mapping):
        self.spec = spec
        self.targets = [(index, spec.field(name)) for index, name in enumerate(mapping.columns)
                        if name]
        self.lookups = {item.name: item.lookup() for _, item in self.targets if item.lookup}
        self.answers = {name: {comparable(text): value for text, value in answers.items()}
                        for name, answers in mapping.values.items()}

    def values(self, cells: list[Any],
               report: ImportReport) -> tuple[dict[str, Any], dict[str, str]]:
        """The form values of the row, and the refusals of texts that name
        no known record (and that no answer maps): such a text is passed
        on as it is, for the kind's rules to refuse with the rest."""
        values: dict[str, Any] = {}
        unknown: dict[str, str] = {}
        for index, item in self.targets:
            text = cell_text(cells[index], item.cell)
            if item.name in self.lookups and text:
                key = comparable(text)
                answers = self.answers.get(item.name, {})
                if key in answers:
                    found = answers[key]
                else:
                    found = self.lookups[item.name].get(key)
                if found is None:
                    unknown[item.name] = t("importing.error.unknown_value", value=text)
                    counts = report.unknown.setdefault(item.name, {})
                    counts[text] = counts.get(text, 0) + 1
                    found = text
                values[item.name] = found
            else:
                values[item.name] = text
        return values, unknown


def reason_of(spec: ImportSpec, error: CrmError) -> str:
    """A refusal as one line naming the fields by their labels."""
    if isinstance(error, ValidationError):
        labels = {item.name: t(item.label) for item in spec.fields}
        return "; ".join(f"{labels.get(name, name)}: {message}"
                         for name, message in error.errors.items())
    return str(error)


def run_import(actor: User, spec: ImportSpec, table: Table, mapping: Mapping, *,
               dry_run: bool, file_name: str = "", refused_to: TextIO | None = None,
               progress: Callable[[ImportReport], None] | None = None,
               stop: Callable[[], bool] = lambda: False,
               batch_rows: int = BATCH_ROWS) -> ImportReport:
    """Judge every row of `table` and, unless `dry_run`, write the rows
    that create or update records, a batch per transaction.

    The refused rows go to `refused_to` as CSV: the file's own columns and
    the reason, to be fixed and imported again. `progress` hears of every
    batch; `stop()` ends the run between batches (what was written stays,
    and the same file imported again goes on where it stopped)."""
    require(actor, spec.permission)
    mapping.check(spec)
    report = ImportReport(dry_run=dry_run)
    reader = RowReader(spec, mapping)
    importer = spec.begin(actor)
    writer = csv.writer(refused_to) if refused_to is not None else None
    if writer is not None:
        writer.writerow([*table.headers, t("importing.reason")])
    run = None
    if not dry_run:
        with database.atomic():
            run = ImportRun.create(kind=spec.kind, file_name=file_name[:250], actor=actor.id,
                                   started_at=clock.now())
        report.run_id = run.id
    for batch in _batches(_readable(table.rows()), batch_rows):
        if stop():
            report.stopped = True
            break
        verdicts = []
        importer.rights = RightsAsRead(actor)
        for cells in batch:
            number = table.first_row_number + report.rows
            report.rows += 1
            verdict = _judge(spec, reader, importer, cells, report)
            verdict.cells, verdict.row_number = cells, number
            report.count(verdict.outcome)
            if verdict.outcome == REFUSED:
                _refuse(report, writer, verdict)
            elif verdict.outcome in (CREATED, UPDATED):
                verdicts.append(verdict)
        if run is not None and verdicts:
            with database.atomic():
                importer.write(verdicts, run.label)
            for verdict in verdicts:
                if verdict.outcome == REFUSED:  # changed by someone since it was judged
                    report.updated -= 1
                    report.refused += 1
                    _refuse(report, writer, verdict)
        if progress:
            progress(report)
    if run is not None:
        ImportRun.update(finished_at=clock.now(), created=report.created,
                         updated=report.updated, duplicates=report.duplicates,
                         refused=report.refused).where(ImportRun.id == run.id).execute()
    return report


def _refuse(report: ImportReport, writer: Any, verdict: Verdict) -> None:
    if len(report.refusals) < SHOWN_REFUSALS:
        report.refusals.append((verdict.row_number, verdict.reason))
    if writer is not None:
        writer.writerow([cell_text(cell, "multiline") for cell in verdict.cells]
                        + [verdict.reason])


def _judge(spec: ImportSpec, reader: RowReader, importer: Importer, cells: list[Any],
           report: ImportReport) -> Verdict:
    values, unknown = reader.values(cells, report)
    try:
        verdict = importer.judge(values)
    except ValidationError as error:
        return Verdict(REFUSED, reason=reason_of(spec, ValidationError({**error.errors,
                                                                         **unknown})))
    except CrmError as error:
        return Verdict(REFUSED, reason=reason_of(spec, error))
    if unknown:  # a kind whose rules took the text: still no known record
        return Verdict(REFUSED, reason=reason_of(spec, ValidationError(unknown)))
    return verdict


def _readable(rows: Iterator[list[Any]]) -> Iterator[list[Any]]:
    """The rows; a file that turns out unreadable further down stops the
    run with the reason (the batches before it stay written)."""
    try:
        yield from rows
    except TableUnreadable as error:
        raise ValidationError({"path": t(error.key, **error.values)}) from None


def _batches(rows: Iterator[list[Any]], size: int) -> Iterator[list[list[Any]]]:
    batch: list[list[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def insert_rows(model: type[BaseModel], rows: list[dict[str, Any]]) -> None:
    """INSERT `rows` (dicts with the same field names) with one prepared
    statement: Peewee's insert_many builds the SQL of every value in
    Python, which costs more than the database's own work at an import's
    scale."""
    if not rows:
        return
    names = list(rows[0])
    fields = [model._meta.fields[name] for name in names]
    columns = ", ".join(f'"{item.column_name}"' for item in fields)
    marks = ", ".join([database.obj.param] * len(fields))
    statement = f'INSERT INTO "{model._meta.table_name}" ({columns}) VALUES ({marks})'
    converters = [(item.db_value, name) for item, name in zip(fields, names)]
    database.cursor().executemany(
        statement, [tuple(convert(row[name]) for convert, name in converters) for row in rows])


def import_audit_rows(actor: User, table_name: str, row_ids: Sequence[int], action: str,
                      label: str) -> None:
    """One audit row per record an import made or changed, naming the
    import; each a change of its own (undone alone)."""
    now = clock.now()
    insert_rows(AuditLog, [
        {"actor": actor.id, "at": now, "table_name": table_name, "row_id": row_id,
         "action": action, "field": IMPORT_ACTION, "old": "", "new": label,
         "change": uuid.uuid4().hex}
        for row_id in row_ids])


# ----- files ------------------------------------------------------------------

def open_table(path: str | os.PathLike, store: DocumentStore | None = None) -> tuple[Table, BinaryIO]:
    """The table of the file at `path`, and the open file (to close once
    the import is done). With `store` (the app), only a file a user may
    attach is read: a regular file in an upload folder, none of the CRM's
    own; without (the command line, run by the operator), any file."""
    if not str(path).strip():
        raise ValidationError({"path": t("error.required")})
    try:
        if store is not None:
            source, name = store.open_upload(path)
        else:
            source, name = open(Path(str(path).strip()).expanduser(), "rb"), Path(path).name
    except FileRefused as error:
        raise ValidationError({"path": t(error.key, **error.values)}) from None
    except OSError as error:
        raise ValidationError({"path": t("documents.error.unreadable",
                                         reason=error.strerror or str(error))}) from None
    try:
        return read_table(source, name), source
    except TableUnreadable as error:
        source.close()
        raise ValidationError({"path": t(error.key, **error.values)}) from None
    except BaseException:
        source.close()
        raise


def refused_file(folder: str | os.PathLike, source_name: str) -> tuple[TextIO, Path]:
    """A new CSV file for the refused rows of an import of `source_name`,
    in `folder` (never over an existing file), UTF-8 with a BOM so that
    Excel reads the Chinese right; opened for writing, and its path."""
    stem = Path(source_name).stem or "import"
    stamp = clock.now().strftime("%Y%m%d-%H%M%S")
    folder = Path(folder)
    for attempt in range(100):
        suffix = f"-{attempt}" if attempt else ""
        target = export_target(folder, folder / f"{stem}.refused-{stamp}{suffix}.csv")
        try:
            descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW,
                                 PRIVATE_FILE)
        except FileExistsError:
            continue
        return os.fdopen(descriptor, "w", encoding="utf-8-sig", newline=""), target
    raise ValidationError({"path": t("documents.error.exists")})


def mapping_from_answers(spec: ImportSpec, headers: Sequence[str], answers: dict[str, Any],
                         start: Mapping | None = None) -> Mapping:
    """A mapping as a person writes it (the command line's --mapping):
    {"columns": {"header": "field" or null}, "values": {"field": {"text":
    "the known name it stands for" or null}}}. Columns not named keep
    `start` (the saved or guessed mapping)."""
    mapping = Mapping(list(start.columns) if start else [None] * len(headers),
                      {name: dict(texts) for name, texts in (start.values if start else {}).items()})
    try:
        by_header = {comparable(header): index for index, header in enumerate(headers)}
        for header, name in dict(answers.get("columns", {})).items():
            if comparable(header) not in by_header:
                raise ValueError(f"no column {header!r}")
            mapping.columns[by_header[comparable(header)]] = name or None
        for name, texts in dict(answers.get("values", {})).items():
            item = spec.field(name) if name in {f.name for f in spec.fields} else None
            if item is None or item.lookup is None:
                raise ValueError(f"{name!r} takes no values")
            known = item.lookup()
            for text, meant in dict(texts).items():
                if meant is not None and comparable(meant) not in known:
                    raise ValueError(f"{name}: no {meant!r}")
                mapping.values.setdefault(name, {})[text] = (
                    None if meant is None else known[comparable(meant)])
    except (ValueError, TypeError, AttributeError) as error:
        raise ValidationError({"mapping": t("importing.error.bad_mapping", reason=str(error))}
                              ) from None
    mapping.check(spec)
    return mapping
