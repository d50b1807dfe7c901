"""Documents attached to customers (M8), stored once per content hash.

A document may also belong to one of the customer's contracts (M11:
"documents attach as in M8"); it is still the customer's, listed with the
others, and the contract lists its own.

Access follows the customer: whoever may see the customer may list and
export its documents; whoever may edit it (customer.edit on own customers,
customer.edit_all on any) may attach and delete. The files themselves are
kept by crm_tui.documents.DocumentStore.
"""
from __future__ import annotations

import io
import os
from pathlib import Path
from typing import BinaryIO

from peewee import JOIN, BigIntegerField, CharField, DateTimeField, ForeignKeyField

from crm_tui import clock
from crm_tui.documents import (DocumentStore, FileRefused, StoredFileDamaged, StoreWriteFailed,
                               TooLarge, export_to)
from crm_tui.i18n import t
from crm_tui.models import audit
from crm_tui.models.base import BaseModel, database
from crm_tui.models.contracts import Contract
from crm_tui.models.customers import Customer, customer_for_write
from crm_tui.models.errors import CrmError, NotFound, PermissionDenied, ValidationError
from crm_tui.models.users import User

NAME_LIMIT = 250


class Document(BaseModel):
    customer = ForeignKeyField(Customer, backref="documents", on_delete="CASCADE")
    name = CharField(max_length=250)
    size = BigIntegerField()
    sha256 = CharField(max_length=64, index=True)
    uploaded_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    uploaded_at = DateTimeField(default=clock.now)
    contract = ForeignKeyField(Contract, null=True, backref="documents", on_delete="SET NULL")

    class Meta:
        # A customer's timeline reads its documents newest first.
        indexes = ((("customer", "uploaded_at"), False),)

    @classmethod
    def of_customer(cls, user: User, customer_id: int, contract_id: int | None = None):
        """One customer's documents (or those of one of its contracts),
        newest first, with the uploader's name (NotFound unless `user` may
        see the customer)."""
        Customer.get_visible(user, customer_id)
        query = (cls.select(cls, User.display_name.alias("uploader_name"))
                 .join_from(cls, User, JOIN.LEFT_OUTER, on=(cls.uploaded_by == User.id))
                 .where(cls.customer == customer_id)
                 .order_by(cls.uploaded_at.desc(), cls.id.desc()))
        if contract_id is not None:
            query = query.where(cls.contract == contract_id)
        return query.objects()

    @classmethod
    def get_visible(cls, user: User, document_id: int) -> "Document":
        document = cls.get_or_none(cls.id == document_id)
        if document is None:
            raise NotFound(t("error.not_found"))
        Customer.get_visible(user, document.customer_id)
        return document

    @classmethod
    def attach(cls, actor: User, customer_id: int, path: str | os.PathLike,
               store: DocumentStore, contract_id: int | None = None) -> "Document":
        """Store the file at `path` and record it as the customer's (and,
        with `contract_id`, as that contract's)."""
        with database.atomic():
            customer_for_write(actor, customer_id)  # refuse before reading the file
            _check_contract(actor, customer_id, contract_id)
        reader, name = _open_upload(path, store)
        return cls._file(actor, customer_id, reader, name, store, contract_id)

    @classmethod
    def file_data(cls, actor: User, customer_id: int, name: str, data: bytes,
                  store: DocumentStore, contract_id: int | None = None) -> "Document":
        """Record `data`, a file the CRM made (a quote's sheet), as the
        customer's document `name`."""
        with database.atomic():
            customer_for_write(actor, customer_id)
            _check_contract(actor, customer_id, contract_id)
        return cls._file(actor, customer_id, io.BytesIO(data), name, store, contract_id)

    @classmethod
    def _file(cls, actor: User, customer_id: int, reader: BinaryIO, name: str,
              store: DocumentStore, contract_id: int | None) -> "Document":
        """Store what `reader` holds, then its row, checked again."""
        try:
            with reader:
                incoming = store.receive(reader)
        except TooLarge as error:
            raise ValidationError({"path": t("documents.error.too_big", limit=error.limit_mb)}) from None
        except StoreWriteFailed as error:
            # The store's fault (its disk is full, say), not the source's.
            if error.disk_full:
                raise CrmError(t("rights.store_full", folder=str(store.folder))) from None
            raise CrmError(t("rights.store_unwritable", folder=str(store.folder),
                             reason=str(error))) from None
        except OSError as error:
            raise ValidationError({"path": t("documents.error.unreadable",
                                             reason=error.strerror or str(error))}) from None
        try:
            with database.atomic():
                customer = customer_for_write(actor, customer_id)
                _check_contract(actor, customer_id, contract_id)
                document = cls.create(customer=customer.id, contract=contract_id,
                                      name=name[:NAME_LIMIT],
                                      size=incoming.size, sha256=incoming.sha256,
                                      uploaded_by=actor.id, uploaded_at=clock.now())
                changes = {"name": ("", document.name), "sha256": ("", document.sha256)}
                if contract_id is not None:
                    changes["contract"] = ("", contract_id)
                audit.record(actor, "document", document.id, audit.CREATE, changes)
        except BaseException:
            incoming.discard()
            raise
        # The row is committed first: a removal of the same content running
        # now sees it and leaves the file alone.
        incoming.keep()
        return document

    def export_by(self, user: User, destination: str | os.PathLike,
                  store: DocumentStore) -> Path:
        """Write a copy to `destination` (a file, or a folder for the
        document's own name); never overwrites a file."""
        # The customer as the database has it, not as this copy says.
        Document.get_visible(user, self.id)
        if not str(destination).strip():
            raise ValidationError({"path": t("error.required")})
        try:
            return export_to(store, self.sha256, self.name, destination)
        except FileRefused as error:
            raise ValidationError({"path": t(error.key, **error.values)}) from None
        except FileExistsError:
            raise ValidationError({"path": t("documents.error.exists")}) from None
        except StoredFileDamaged:
            raise CrmError(t("documents.error.damaged", name=self.name)) from None
        except OSError as error:
            if not store.has(self.sha256):
                raise CrmError(t("documents.error.missing", name=self.name)) from None
            raise ValidationError({"path": t("documents.error.unwritable",
                                             reason=error.strerror or str(error))}) from None

    def delete_by(self, actor: User, store: DocumentStore) -> bool:
        """Remove the record; its file goes too when no other record points
        to the same content. True when the file went."""
        with database.atomic():
            owner = customer_for_write(actor, self.customer_id)
            # The checked customer is part of the WHERE: a copy whose
            # customer was changed in memory deletes nothing.
            deleted = (Document.delete()
                       .where((Document.id == self.id) & (Document.customer == owner.id))
                       .execute())
            if deleted != 1:
                if Document.select().where(Document.id == self.id).exists():
                    raise PermissionDenied(t("error.not_your_customer"))
                raise NotFound(t("error.not_found"))
            audit.record(actor, "document", self.id, audit.DELETE,
                         {"name": (self.name, ""), "sha256": (self.sha256, "")})
        return store.remove_if_unused(
            self.sha256, lambda: Document.select().where(Document.sha256 == self.sha256).exists())


def _check_contract(actor: User, customer_id: int, contract_id: int | None) -> None:
    """A document goes to a contract the actor may see, of the same customer."""
    if contract_id is None:
        return
    contract = Contract.get_visible(actor, contract_id)
    if contract.customer_id != customer_id:
        raise ValidationError({"contract": t("error.not_a_choice")})


def _open_upload(path: str | os.PathLike, store: DocumentStore) -> tuple[BinaryIO, str]:
    """The file a user asked to attach, opened, and its name; a
    ValidationError at the path field for what may not be attached."""
    if not str(path).strip():
        raise ValidationError({"path": t("error.required")})
    try:
        reader, name = store.open_upload(path)
    except FileRefused as error:
        raise ValidationError({"path": t(error.key, **error.values)}) from None
    # The limit is checked again while copying (the file may grow meanwhile).
    if os.fstat(reader.fileno()).st_size > store.max_bytes:
        reader.close()
        raise ValidationError({"path": t("documents.error.too_big", limit=store.max_size_mb)})
    return reader, name
