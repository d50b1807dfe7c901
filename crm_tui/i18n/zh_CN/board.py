"""销售看板、今日待办、客户时间线与撤销。"""
STRINGS = {
    "module.board": "销售看板",
    "board.title": "销售看板：←→ 换列，Shift+←→ 移动卡片，Enter 打开",
    "board.lane": "换列",
    "board.lane_right": "下一列",
    "board.move_right": "右移",
    "board.move_left": "左移",
    "board.no_move": "卡片不能从{lane}往这边移动。",
    "board.age": "{days}天",
    "board.age_column": "天数",
    "board.amount": "金额",
}
