"""Strings of the screens drawn from record kinds, and of Textual's own keys."""
STRINGS = {
    "records.no_smtp": "Mail is not configured (mail.smtp in config.yaml).",
    "records.mail_file": "Mail it",
    "records.documents": "Documents",
    "records.actions": "Actions",
    "records.actions_title": "Actions (Enter runs one, Escape closes)",
    "records.all_states": "all states",
    "records.next_filter": "State",
    "records.none": "(none)",
    "opportunity.error.succeed": "Only an opportunity in development can succeed; "
                                 "this one is {status}, its plan is read only.",
    "opportunity.error.fail": "Only an opportunity in development can be ended; "
                              "this one is {status}, its plan is read only.",
}
