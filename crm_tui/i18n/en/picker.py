"""The searchable choice of long lists (crm_tui/widgets/picker.py)."""
STRINGS = {
    "picker.type": "Type to search",
    "picker.none": "Nothing matches.",
    "picker.more": "The first {shown} matches: type more to narrow them.",
    "picker.pick": "Choose",
}
