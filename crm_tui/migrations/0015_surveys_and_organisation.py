"""Satisfaction surveys (满意度调查, M13) and the customer's organisation
(客户组织结构, M14): their tables and the survey rights.

Every table that belongs to a customer names it in a column `customer_id`
(a merge of two customers moves those rows).
"""
from peewee import (BooleanField, CharField, DateTimeField, DecimalField, ForeignKeyField,
                    IntegerField, Model, TextField)

from crm_tui.migrations.rights import grant_rights

PERMISSIONS = {
    "survey.manage": "build, open, close and send satisfaction surveys",
    "survey.view_all": "see every survey response and result",
    "survey.answer": "type in survey answers of own customers; their results and follow-ups",
}
GRANTS = {
    "admin": list(PERMISSIONS),
    "executive": ["survey.view_all"],
    "supervisor": ["survey.manage", "survey.view_all", "survey.answer"],
    "manager": ["survey.answer"],
}


def up(migrator, db):
    def table(name):
        class Existing(Model):
            class Meta:
                database = db
                table_name = name
        return Existing

    User, Customer, Contact = table("user"), table("customer"), table("contact")
    MailMessage = table("mail_message")

    class Survey(Model):
        title = CharField(max_length=100)
        status = CharField(max_length=10, default="draft", index=True)
        created_by = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
        created_at = DateTimeField()
        opened_at = DateTimeField(null=True)
        closed_at = DateTimeField(null=True)
        version = IntegerField(default=1)

        class Meta:
            database = db
            table_name = "survey"

    class SurveyQuestion(Model):
        survey = ForeignKeyField(Survey, backref="+", on_delete="CASCADE")
        number = IntegerField()
        text = CharField(max_length=200)
        kind = CharField(max_length=5, default="score")

        class Meta:
            database = db
            table_name = "survey_question"
            indexes = ((("survey", "number"), False),)

    class SurveyInvitation(Model):
        survey = ForeignKeyField(Survey, backref="+", on_delete="RESTRICT")
        customer = ForeignKeyField(Customer, backref="+", on_delete="CASCADE")
        contact = ForeignKeyField(Contact, null=True, backref="+", on_delete="SET NULL")
        address = CharField(max_length=100)
        code = CharField(max_length=20, unique=True)
        status = CharField(max_length=10, default="pending", index=True)
        problem = TextField(default="")
        mail_message = ForeignKeyField(MailMessage, null=True, backref="+", on_delete="SET NULL")
        sent_at = DateTimeField(null=True)
        created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "survey_invitation"

    class SurveyResponse(Model):
        survey = ForeignKeyField(Survey, backref="+", on_delete="RESTRICT")
        customer = ForeignKeyField(Customer, backref="+", on_delete="CASCADE")
        contact = ForeignKeyField(Contact, null=True, backref="+", on_delete="SET NULL")
        invitation = ForeignKeyField(SurveyInvitation, null=True, unique=True, backref="+",
                                     on_delete="SET NULL")
        source = CharField(max_length=5)
        answered_at = DateTimeField(index=True)
        entered_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        mail_message = ForeignKeyField(MailMessage, null=True, backref="+", on_delete="SET NULL")
        note = CharField(max_length=200, default="")

        class Meta:
            database = db
            table_name = "survey_response"

    class SurveyAnswer(Model):
        response = ForeignKeyField(SurveyResponse, backref="+", on_delete="CASCADE")
        question = ForeignKeyField(SurveyQuestion, backref="+", on_delete="CASCADE")
        score = IntegerField(null=True)
        text = TextField(default="")

        class Meta:
            database = db
            table_name = "survey_answer"

    class SurveyReply(Model):
        mail_message = ForeignKeyField(MailMessage, unique=True, backref="+", on_delete="CASCADE")
        code = CharField(max_length=20)
        survey = ForeignKeyField(Survey, null=True, backref="+", on_delete="SET NULL")
        status = CharField(max_length=10, index=True)
        reason = TextField(default="")
        response = ForeignKeyField(SurveyResponse, null=True, backref="+", on_delete="SET NULL")
        received_at = DateTimeField()

        class Meta:
            database = db
            table_name = "survey_reply"

    class SurveyFollowUp(Model):
        survey = ForeignKeyField(Survey, backref="+", on_delete="RESTRICT")
        customer = ForeignKeyField(Customer, backref="+", on_delete="CASCADE")
        average = DecimalField(max_digits=4, decimal_places=2)
        done = BooleanField(default=False, index=True)
        done_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        done_at = DateTimeField(null=True)
        created_at = DateTimeField()
        version = IntegerField(default=1)

        class Meta:
            database = db
            table_name = "survey_follow_up"
            indexes = ((("survey", "customer"), True),)

    class Department(Model):
        customer = ForeignKeyField(Customer, backref="+", on_delete="CASCADE")
        name = CharField(max_length=60)
        parent = ForeignKeyField("self", null=True, backref="+", on_delete="RESTRICT")
        created_at = DateTimeField()
        version = IntegerField(default=1)

        class Meta:
            database = db
            table_name = "department"
            indexes = ((("customer", "parent"), False),)

    class ContactPlacement(Model):
        contact = ForeignKeyField(Contact, unique=True, backref="+", on_delete="CASCADE")
        department = ForeignKeyField(Department, backref="+", on_delete="RESTRICT")

        class Meta:
            database = db
            table_name = "contact_placement"

    class ContactMove(Model):
        customer = ForeignKeyField(Customer, backref="+", on_delete="CASCADE")
        contact = ForeignKeyField(Contact, backref="+", on_delete="CASCADE")
        from_department = ForeignKeyField(Department, null=True, backref="+",
                                          on_delete="SET NULL")
        from_name = CharField(max_length=300, default="")
        to_department = ForeignKeyField(Department, null=True, backref="+", on_delete="SET NULL")
        to_name = CharField(max_length=300, default="")
        from_position = CharField(max_length=50, default="")
        to_position = CharField(max_length=50, default="")
        moved_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        moved_at = DateTimeField(index=True)

        class Meta:
            database = db
            table_name = "contact_move"

    db.create_tables([Survey, SurveyQuestion, SurveyInvitation, SurveyResponse, SurveyAnswer,
                      SurveyReply, SurveyFollowUp, Department, ContactPlacement, ContactMove])

    grant_rights(db, PERMISSIONS, GRANTS)


def down(migrator, db):
    for name in ("contact_move", "contact_placement", "department", "survey_follow_up",
                 "survey_reply", "survey_answer", "survey_response", "survey_invitation",
                 "survey_question", "survey"):
        db.execute_sql(f'DROP TABLE "{name}"')
    db.execute_sql("DELETE FROM role_permission WHERE permission_id IN (SELECT id FROM permission"
                   " WHERE code IN ('survey.manage', 'survey.view_all', 'survey.answer'))")
    db.execute_sql("DELETE FROM permission WHERE code IN ('survey.manage', 'survey.view_all',"
                   " 'survey.answer')")
