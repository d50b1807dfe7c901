"""Permission codes: the rights a rule may ask for with `require()`.

The rows themselves are seeded by migrations (frozen there); this module
names them for the code. A role's record scope follows from its rights: a
user with `CUSTOMER_VIEW_ALL` sees every customer, one with only
`CUSTOMER_VIEW` sees their own, anyone else none.
"""

CUSTOMER_VIEW = "customer.view"
CUSTOMER_VIEW_ALL = "customer.view_all"
CUSTOMER_EDIT = "customer.edit"
CUSTOMER_EDIT_ALL = "customer.edit_all"
OPPORTUNITY_CREATE = "opportunity.create"
OPPORTUNITY_VIEW_ALL = "opportunity.view_all"
OPPORTUNITY_ASSIGN = "opportunity.assign"
PLAN_EXECUTE = "plan.execute"
SERVICE_CREATE = "service.create"
SERVICE_VIEW_ALL = "service.view_all"
SERVICE_ASSIGN = "service.assign"
SERVICE_HANDLE = "service.handle"
SERVICE_FEEDBACK = "service.feedback"
CHURN_VIEW_ALL = "churn.view_all"
CHURN_ACT = "churn.act"
REPORT_VIEW = "report.view"
ORDER_VIEW = "order.view"
DICTIONARY_MANAGE = "dictionary.manage"
USER_MANAGE = "user.manage"
AUDIT_VIEW = "audit.view"
CONTRACT_CREATE = "contract.create"
CONTRACT_VIEW_ALL = "contract.view_all"
CONTRACT_APPROVE = "contract.approve"
CONTRACT_APPROVE_LARGE = "contract.approve_large"
QUOTE_CREATE = "quote.create"
QUOTE_VIEW_ALL = "quote.view_all"
VIEW_PUBLISH = "saved_view.publish"
