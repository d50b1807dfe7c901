"""Peewee models and the business rules that belong to them.

Nothing here imports Textual: every rule can run without a terminal.

The model modules are imported when first used, not with this package:
starting the app imports only what its login screen needs. A table named
from here (`from crm_tui.models import Customer`), CRM_MODELS or
SALES_MODELS imports every model module at once (`load_all`), which is
also what declares every record kind.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from crm_tui.models.base import database, sales_database

_HERE = Path(__file__).parent


def load_all() -> None:
    """Import every model module and name its tables here."""
    if "CRM_MODELS" in globals():
        return
    from crm_tui.models.audit import AuditLog
    from crm_tui.models.campaigns import Campaign, Lead
    from crm_tui.models.churn import ChurnAlert, ChurnMeasure, WorkerRun
    from crm_tui.models.contracts import Contract, ContractStep, Instalment, Payment
    from crm_tui.models.customers import Contact, Customer, Interaction
    from crm_tui.models.dictionary import DictionaryEntry
    from crm_tui.models.documents import Document
    from crm_tui.models.importing import ImportMapping, ImportRun
    from crm_tui.models import customer_import, lead_import  # noqa: F401 - register the import specs
    from crm_tui.models.mail import MailAttachment, MailMessage
    from crm_tui.models.order_figures import OrderFigures, OrderFiguresRefresh, OrderTotals
    from crm_tui.models.organisation import ContactMove, ContactPlacement, Department
    from crm_tui.models.preferences import UserPreference
    from crm_tui.models.merge import CustomerMerge
    from crm_tui.models.funnel import Target
    from crm_tui.models.quotes import Quote, QuoteLine
    from crm_tui.models.sales import Opportunity, PlanItem
    from crm_tui.models.sales_system import Order, OrderLine, Product, Stock
    from crm_tui.models.service import Service, ServiceEvent
    from crm_tui.models.surveys import (Survey, SurveyAnswer, SurveyFollowUp, SurveyInvitation,
                                        SurveyQuestion, SurveyReply, SurveyResponse)
    from crm_tui.models.users import Permission, Role, RolePermission, User
    from crm_tui.models.views import SavedView

    # The CRM's own tables, in dependency order.
    CRM_MODELS = [
        Role, Permission, RolePermission, User, AuditLog, DictionaryEntry,
        Customer, Contact, Interaction, Opportunity, PlanItem,
        Service, ServiceEvent, ChurnAlert, ChurnMeasure, WorkerRun,
        MailMessage, Document, Contract, ContractStep, Instalment, Payment,
        Quote, QuoteLine, OrderFigures, OrderTotals, OrderFiguresRefresh,
        Survey, SurveyQuestion, SurveyInvitation, SurveyResponse, SurveyAnswer, SurveyReply,
        SurveyFollowUp, Department, ContactPlacement, ContactMove, Campaign, Lead, UserPreference,
        ImportMapping, ImportRun, MailAttachment,
        CustomerMerge,
        Target,
        SavedView,
    ]
    # The sales system's tables, read only for the CRM.
    SALES_MODELS = [Product, Stock, Order, OrderLine]
    # Every table by its class name, as `from crm_tui.models import Customer` expects.
    globals().update({model.__name__: model for model in CRM_MODELS + SALES_MODELS})
    globals().update(CRM_MODELS=CRM_MODELS, SALES_MODELS=SALES_MODELS)


def __getattr__(name: str) -> Any:
    # A submodule's name is left to the import system, so that importing
    # one model module does not import the others.
    if name.startswith("_") or (_HERE / f"{name}.py").exists():
        raise AttributeError(name)
    load_all()
    try:
        return globals()[name]
    except KeyError:
        raise AttributeError(f"module 'crm_tui.models' has no attribute {name!r}") from None
