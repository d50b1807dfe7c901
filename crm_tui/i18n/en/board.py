"""The pipeline board, today's agenda, the customer timeline and undo."""
STRINGS = {
    "module.board": "Pipeline board",
    "board.title": "Pipeline board: ←→ lane, Shift+←→ move the card, Enter open",
    "board.lane": "lane",
    "board.lane_right": "next lane",
    "board.move_right": "move →",
    "board.move_left": "move ←",
    "board.no_move": "Nothing moves a card from {lane} that way.",
    "board.age": "{days}d",
    "board.age_column": "Age",
    "board.amount": "Amount",
}
