"""The data dictionary (数据字典): regions, customer levels, service types."""
from __future__ import annotations

from peewee import BooleanField, CharField, IntegerField

from crm_tui.models.base import BaseModel

# Dictionary types the CRM itself relies on (the users' own words).
REGION = "地区"
CUSTOMER_LEVEL = "客户等级"
SERVICE_TYPE = "服务类型"


class DictionaryEntry(BaseModel):
    type = CharField(max_length=40, index=True)
    item = CharField(max_length=60)
    value = CharField(max_length=60)
    editable = BooleanField(default=True)
    sort_order = IntegerField(default=0)

    class Meta:
        indexes = ((("type", "item"), True),)

    def __str__(self) -> str:
        return self.item

    @classmethod
    def of_type(cls, type_name: str):
        return cls.select().where(cls.type == type_name).order_by(cls.sort_order, cls.id)

    @classmethod
    def choices(cls, type_name: str) -> list[tuple[int, str]]:
        return [(entry.id, entry.item) for entry in cls.of_type(type_name)]
