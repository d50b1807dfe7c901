"""Where a dictionary entry is used: one text per table that refers to it."""
STRINGS = {
    "dictionary.used_by.separator": ", ",
    "dictionary.used_by.customer": "{count} customer(s)",
    "dictionary.used_by.service": "{count} service(s)",
    "dictionary.used_by.payment": "{count} payment(s)",
    "dictionary.used_by.other": "{count} record(s) of {table}",
}
