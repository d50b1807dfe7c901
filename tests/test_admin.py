"""Administration rules: users, the last administrator, roles, the
permission matrix, the audit log."""
import datetime as dt
import threading

import pytest

from crm_tui.models import AuditLog, admin, reports
from crm_tui.models.customers import Customer
from crm_tui.models.errors import InvalidTransition, PermissionDenied, ValidationError
from crm_tui.models.users import Role, RolePermission, User, authenticate
from tests.conftest import PASSWORD, at, make_customer, make_user


def role(key):
    return Role.get(Role.key == key)


def test_administrator_creates_edits_and_resets_a_user(crm_db, people):
    user = admin.create_user(people.admin, {"login": "liu", "display_name": "刘经理",
                                            "role": "manager", "password": "secret-123"})
    assert (user.role.key, user.active) == ("manager", True)
    edited = admin.update_user(people.admin, user, {"display_name": "刘大经理", "role": "supervisor"})
    assert (edited.display_name, edited.role.key) == ("刘大经理", "supervisor")
    admin.reset_user_password(people.admin, user, {"password": "another-456"})
    assert authenticate("liu", "another-456", 5, 15).id == user.id
    fields = {row.field for row in AuditLog.select().where(
        (AuditLog.table_name == "user") & (AuditLog.row_id == user.id))}
    assert {"display_name", "role"} <= fields


def test_only_user_managers_may_administer(crm_db, people):
    for actor in (people.executive, people.supervisor, people.manager):
        with pytest.raises(PermissionDenied):
            admin.create_user(actor, {"login": "x1", "display_name": "x", "role": "admin",
                                      "password": "secret-123"})
        with pytest.raises(PermissionDenied):
            admin.update_user(actor, actor, {"role": "admin"})
        with pytest.raises(PermissionDenied):
            admin.set_user_active(actor, people.other_manager, False)
        with pytest.raises(PermissionDenied):
            admin.create_role(actor, {"key": "auditor", "name": "审计"})
        with pytest.raises(PermissionDenied):
            admin.set_grant(actor, role("manager"), "customer.view_all", True)
    assert role("manager").key == "manager"
    assert User.get_by_id(people.manager.id).role.key == "manager"


def test_last_active_administrator_is_kept(crm_db, people):
    with pytest.raises(ValidationError) as error:
        admin.set_user_active(people.admin, people.admin, False)
    assert "active" in error.value.errors
    with pytest.raises(ValidationError) as error:
        admin.update_user(people.admin, people.admin, {"role": "executive"})
    assert "role" in error.value.errors
    # With a second administrator, one may go; then the other is the last.
    second = make_user("admin", "root2")
    admin.update_user(people.admin, people.admin, {"role": "executive"})
    with pytest.raises(ValidationError):
        admin.set_user_active(second, second, False)
    assert User.get_by_id(second.id).active
    # A disabled administrator does not count as one.
    admin.update_user(second, people.admin, {"role": "admin"})
    admin.set_user_active(second, people.admin, False)
    with pytest.raises(ValidationError):
        admin.update_user(second, second, {"role": "manager"})


def test_two_administrators_demoting_each_other_at_once_leave_one(crm_db, people):
    second = make_user("admin", "root2")
    for round_number in range(6):
        barrier = threading.Barrier(2)
        outcomes = []

        def demote(actor, target):
            # Each administrator opens the other's record afresh in each round.
            with crm_db.connection_context():
                target = User.get_by_id(target.id)
            barrier.wait()
            try:
                with crm_db.connection_context():
                    if round_number % 2:
                        admin.update_user(actor, target, {"role": "manager"})
                    else:
                        admin.set_user_active(actor, target, False)
                outcomes.append("done")
            except (ValidationError, PermissionDenied):
                # Refused as the last administrator, or (rights being live)
                # because the other one's change took this one's rights first.
                outcomes.append("refused")

        threads = [threading.Thread(target=demote, args=(people.admin, second)),
                   threading.Thread(target=demote, args=(second, people.admin))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        active_admins = (User.select().join(Role)
                         .where((Role.key == "admin") & (User.active == True)).count())  # noqa: E712
        assert active_admins == 1 and sorted(outcomes) == ["done", "refused"], round_number
        # Both administrators again for the next round.
        User.update(active=True, role=role("admin")).where(
            User.id.in_([people.admin.id, second.id])).execute()


def test_roles_created_renamed_and_deleted_when_unused(crm_db, people):
    auditor = admin.create_role(people.admin, {"key": "auditor", "name": "审计员"})
    assert admin.rename_role(people.admin, auditor, {"name": "内部审计"}).name == "内部审计"
    admin.set_grant(people.admin, auditor, "audit.view", True)
    user = make_user("auditor", "sun")
    with pytest.raises(InvalidTransition, match="1 user"):
        admin.delete_role(people.admin, auditor)
    admin.update_user(people.admin, user, {"role": "executive"})
    admin.delete_role(people.admin, auditor)
    assert Role.get_or_none(Role.key == "auditor") is None
    assert RolePermission.select().where(RolePermission.role == auditor.id).count() == 0


def test_seeded_roles_cannot_be_deleted_and_keys_are_checked(crm_db, people):
    for key in ("admin", "executive", "supervisor", "manager"):
        with pytest.raises(InvalidTransition):
            admin.delete_role(people.admin, role(key))
    for bad in ("Auditor", "9x", "审计", "a b", ""):
        with pytest.raises(ValidationError):
            admin.create_role(people.admin, {"key": bad, "name": "x"})
    with pytest.raises(ValidationError):
        admin.create_role(people.admin, {"key": "manager", "name": "again"})
    roles = {row.key: (row.users, row.permissions) for row in admin.role_query()}
    # The manager's rights: ten of the first release, contract.create,
    # quote.create, survey.answer, campaign.view and lead.create.
    assert roles["manager"] == (2, 15) and roles["admin"][0] == 1


def test_permission_matrix_grants_and_revokes(crm_db, people):
    manager = role("manager")
    matrix = {code: granted for code, _, granted in admin.permission_matrix(manager)}
    assert matrix["report.view"] and not matrix["customer.view_all"]
    assert admin.set_grant(people.admin, manager, "customer.view_all", True)
    assert not admin.set_grant(people.admin, manager, "customer.view_all", True)
    matrix = {code: granted for code, _, granted in admin.permission_matrix(manager)}
    assert matrix["customer.view_all"]
    assert AuditLog.select().where((AuditLog.table_name == "role_permission")
                                   & (AuditLog.action == "grant")).count() == 1


def test_a_changed_grant_takes_effect_on_the_next_query(crm_db, people):
    make_customer(people.other_manager)
    make_customer(people.manager, name="自己的客户")
    manager = User.get_by_id(people.manager.id)
    assert Customer.visible_to(manager).count() == 1
    admin.set_grant(people.admin, role("manager"), "customer.view_all", True)
    assert Customer.visible_to(manager).count() == 2
    admin.set_grant(people.admin, role("manager"), "report.view", False)
    with pytest.raises(PermissionDenied):
        reports.composition(manager, "level")


def test_administrator_role_keeps_user_manage(crm_db, people):
    with pytest.raises(InvalidTransition):
        admin.set_grant(people.admin, role("admin"), "user.manage", False)
    assert people.admin.has_perm("user.manage")
    # Other rights of the administrator role may go.
    assert admin.set_grant(people.admin, role("admin"), "audit.view", False)
    assert not people.admin.has_perm("audit.view")


def test_audit_log_filters_by_user_table_and_date(crm_db, people):
    at(2026, 3, 1)
    customer = make_customer(people.manager)
    at(2026, 3, 5)
    customer.update_by(people.manager, {"name": "改名公司"})
    at(2026, 3, 9)
    admin.create_role(people.admin, {"key": "auditor", "name": "审计员"})

    def rows(**filters):
        return [(r.table_name, r.action, r.field) for r in admin.audit_query(people.admin, **filters)]

    assert rows(user_id=people.manager.id) == [("customer", "update", "name"),
                                               ("customer", "create", "")]
    assert sorted(rows(table="role")) == [("role", "create", "key"), ("role", "create", "name")]
    assert rows(table="customer", date_from=dt.date(2026, 3, 2), date_to=dt.date(2026, 3, 5)) == \
        [("customer", "update", "name")]
    assert rows(text="改名公司") == [("customer", "update", "name")]
    first = admin.audit_query(people.admin, user_id=people.manager.id).dicts().first()
    assert first["actor_login"] == "wang" and first["new"] == "改名公司"
    assert {"customer", "role", "user"} <= set(admin.audit_tables(people.admin))
    with pytest.raises(PermissionDenied):
        admin.audit_query(people.supervisor)


def test_new_role_user_logs_in_with_its_rights(crm_db, people):
    admin.create_role(people.admin, {"key": "viewer", "name": "只读"})
    admin.set_grant(people.admin, role("viewer"), "customer.view_all", True)
    admin.create_user(people.admin, {"login": "zhou", "display_name": "周", "role": "viewer",
                                     "password": PASSWORD})
    make_customer(people.manager)
    viewer = authenticate("zhou", PASSWORD, 5, 15)
    assert Customer.visible_to(viewer).count() == 1
    with pytest.raises(PermissionDenied):
        reports.contribution(viewer)
