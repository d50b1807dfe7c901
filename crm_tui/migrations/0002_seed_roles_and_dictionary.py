"""Seed the four roles, their permissions and the data dictionary.

Frozen data: a later change to rights or dictionary entries comes as a new
migration, so a database upgraded from any version ends up the same.
"""
from peewee import Table

PERMISSIONS = {
    "customer.view": "see own customers",
    "customer.view_all": "see every customer",
    "customer.edit": "create, edit and delete own customers, contacts, interactions",
    "customer.edit_all": "edit any customer and give it to another manager",
    "opportunity.create": "create sales opportunities",
    "opportunity.view_all": "see every sales opportunity",
    "opportunity.assign": "assign sales opportunities",
    "plan.execute": "make and execute development plans",
    "service.create": "create service requests",
    "service.view_all": "see every service",
    "service.assign": "assign and delete new services",
    "service.handle": "handle services assigned to oneself",
    "service.feedback": "record customer feedback on handled services",
    "churn.view_all": "see every churn alert",
    "churn.act": "defer or confirm churn of own customers",
    "report.view": "see reports",
    "order.view": "see orders, products and stock of the sales system",
    "dictionary.manage": "manage the data dictionary",
    "user.manage": "manage users, roles and permissions",
    "audit.view": "read the audit log",
}

READ_ALL = ["customer.view", "customer.view_all", "opportunity.view_all", "service.view_all",
            "churn.view_all", "report.view", "order.view"]
ROLES = [
    ("admin", "系统管理员", list(PERMISSIONS)),
    ("executive", "高管", READ_ALL),
    ("supervisor", "销售主管", READ_ALL + ["opportunity.create", "opportunity.assign",
                                          "service.assign", "service.feedback"]),
    ("manager", "客户经理", ["customer.view", "customer.edit", "opportunity.create",
                             "plan.execute", "service.create", "service.handle",
                             "service.feedback", "churn.act", "report.view", "order.view"]),
]

DICTIONARY = {
    "地区": ["北京", "上海", "天津", "重庆", "广东", "江苏", "浙江", "山东", "四川", "湖北",
             "河南", "福建", "辽宁", "陕西", "湖南", "安徽"],
    "客户等级": ["普通客户", "重点开发客户", "大客户", "合作伙伴", "战略合作伙伴"],
    "服务类型": ["咨询", "建议", "投诉"],
}


def up(migrator, db):
    role = Table("role", ("id", "key", "name")).bind(db)
    permission = Table("permission", ("id", "code", "description")).bind(db)
    grant = Table("role_permission", ("id", "role_id", "permission_id")).bind(db)
    entry = Table("dictionary_entry",
                  ("id", "type", "item", "value", "editable", "sort_order")).bind(db)

    permission.insert([(code, text) for code, text in PERMISSIONS.items()],
                      columns=[permission.code, permission.description]).execute()
    permission_ids = {code: pid for pid, code in permission.select(permission.id, permission.code)
                      .tuples()}
    for key, name, codes in ROLES:
        role.insert(key=key, name=name).execute()
        role_id = role.select(role.id).where(role.key == key).scalar()
        grant.insert([(role_id, permission_ids[code]) for code in codes],
                     columns=[grant.role_id, grant.permission_id]).execute()
    for type_name, items in DICTIONARY.items():
        # Customer levels and service types are what the CRM's rules speak
        # of, so they are locked; regions may be edited.
        editable = type_name == "地区"
        entry.insert(
            [(type_name, item, str(order), editable, order)
             for order, item in enumerate(items, start=1)],
            columns=[entry.type, entry.item, entry.value, entry.editable, entry.sort_order],
        ).execute()
