"""What the migrations that add rights share (not a migration itself: the
runner takes only the numbered files): the new permission codes, and their
grants to the seeded roles."""
from peewee import Table


def grant_rights(db, permissions: dict[str, str], grants: dict[str, list[str]]) -> None:
    """Insert `permissions` (code → description) and grant them to the roles
    named in `grants` (role key → codes); a role not on file is passed over."""
    role = Table("role", ("id", "key")).bind(db)
    permission = Table("permission", ("id", "code", "description")).bind(db)
    grant = Table("role_permission", ("id", "role_id", "permission_id")).bind(db)
    permission.insert([(code, text) for code, text in permissions.items()],
                      columns=[permission.code, permission.description]).execute()
    permission_ids = dict(permission.select(permission.code, permission.id)
                          .where(permission.code.in_(list(permissions))).tuples())
    for key, codes in grants.items():
        role_id = role.select(role.id).where(role.key == key).scalar()
        if role_id is not None:
            grant.insert([(role_id, permission_ids[code]) for code in codes],
                         columns=[grant.role_id, grant.permission_id]).execute()
