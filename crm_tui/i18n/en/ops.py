"""Running the CRM: first start, crashes, the password dialog's messages."""

STRINGS = {
    "ops.login.no_users": "This database has no user yet. Create the first administrator "
                          "in a shell:\n  crm-tui user add LOGIN --name NAME --role admin",
    "ops.crash": "crm-tui stopped on an unexpected error ({kind}). Nothing you saved is lost. "
                 "The details are in {path}",
    "ops.crash.no_log": "crm-tui stopped on an unexpected error ({kind}). Nothing you saved is "
                        "lost. The log folder cannot be written, so there are no details.",
    "ops.password.wrong_current": "This is not your current password.",
}
