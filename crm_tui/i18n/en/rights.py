"""Live rights, login refusals, locked accounts, upload and export folders,
database faults."""

STRINGS = {
    "rights.session_ended": "Your account has been disabled: the session has ended.",
    "rights.login_refused": "Wrong user name or password, or the account is locked for a "
                            "while. Ask the administrator if this goes on.",
    "rights.locked_since": "Locked",
    "rights.unlock": "Unlock",
    "rights.unlocked": "The account is unlocked.",
    "rights.not_locked": "The account {login} is not locked.",
    "rights.upload_outside": "Files can be attached only from {folders}. Copy the file there "
                             "first (with scp or sftp, say).",
    "rights.export_outside": "Copies can be exported only into {folder}.",
    "rights.not_regular": "Only ordinary files can be attached (not a device, a pipe, a "
                          "system file or a link leading out).",
    "rights.crm_file": "The CRM's own files (its database, configuration and document "
                       "store) cannot be attached.",
    "rights.store_full": "The disk of the document store ({folder}) is full: nothing was "
                         "attached. Tell the administrator.",
    "rights.store_unwritable": "The document store ({folder}) cannot be written: {reason}. "
                               "Nothing was attached.",
    "rights.db_full": "The disk of the database ({path}) is full: nothing was saved. "
                      "Tell the administrator.",
    "rights.db_read_only": "The database ({path}) is read only: nothing was saved. "
                           "Tell the administrator.",
    "rights.db_io": "The database ({path}) cannot be read or written (a disk fault): "
                    "nothing was saved.",
    "rights.db_gone": "The database file {path} is gone (deleted or moved): nothing was "
                      "saved. Tell the administrator.",
    "rights.db_replaced": "The database file {path} was replaced by another file: the CRM "
                          "does not write into it. Tell the administrator.",
    "rights.db_other": "The database did not answer as it should ({reason}): nothing was "
                       "saved.",
}
