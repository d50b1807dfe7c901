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
}
