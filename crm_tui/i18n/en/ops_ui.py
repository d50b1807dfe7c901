"""Running the CRM day to day: signing out, language, copying, drafts, themes."""

STRINGS = {
    "ops_ui.sign_out": "Sign out",
    "ops_ui.signed_out": "{login} signed out. The next person can sign in.",
    "ops_ui.palette.sign_out": "Sign out / switch user",
    "ops_ui.palette.language": "Language: {language}",
    "ops_ui.language.en": "English",
    "ops_ui.language.zh_CN": "中文 (Chinese)",
    "ops_ui.copy": "Copy",
    "ops_ui.copy_record": "Copy row",
    "ops_ui.copied": "Copied: {text}",
    "ops_ui.nothing_to_copy": "Nothing to copy here.",
    "ops_ui.draft_kept": "The draft is kept for this customer until you quit the app.",
    "ops_ui.draft_restored": "Your unsent draft for this customer is back.",
    "ops_ui.column.satisfaction": "Satisf.",
    "ops_ui.column.credit": "Credit",
}
