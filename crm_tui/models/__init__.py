"""Peewee models and the business rules that belong to them.

Nothing here imports Textual: every rule can run without a terminal.
"""
from crm_tui.models.audit import AuditLog
from crm_tui.models.base import database, sales_database
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

__all__ = [model.__name__ for model in CRM_MODELS + SALES_MODELS] + [
    "CRM_MODELS", "SALES_MODELS", "database", "sales_database"]
