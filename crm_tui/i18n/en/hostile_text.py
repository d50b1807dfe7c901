"""Text from outside: unreadable mail, refused characters, header injection."""

STRINGS = {
    "error.login_spaces": "a login name has no spaces",
    "mail.status.unreadable": "unreadable",
    "mail.problem": "Problem",
    "mail.problem.cleaned": "Control characters were removed from: {parts}. The message as "
                            "received is kept.",
    "mail.problem.unparsable": "The message cannot be read ({reason}).",
    "mail.problem.unstorable": "The message cannot be stored ({reason}).",
    "mail.problem.too_deep": "The message cannot be read: its parts are nested too deeply.",
    "mail.error.unreadable_attach": "An unreadable message cannot be filed to a customer.",
    "mail.error.header_line_break": "must be one line of text: no line breaks or control "
                                    "characters, also not inside =?…?= encoded words, "
                                    "which must decode in their charset",
    "mail.error.sender_line_break": "The sender in mail.smtp.sender of config.yaml holds a line "
                                    "break or control character.",
    "mail.error.header_injected": "The message would carry header lines it was not given; "
                                  "it was not sent.",
    "mail.fetch_counts": "Fetched {total}: {filed} filed, {unmatched} unmatched, "
                         "{unreadable} unreadable, {duplicates} already there.",
}
