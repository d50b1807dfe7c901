"""长列表的搜索选择（crm_tui/widgets/picker.py）。"""
STRINGS = {
    "picker.type": "输入以搜索",
    "picker.none": "没有匹配项。",
    "picker.more": "仅显示前 {shown} 项：继续输入以缩小范围。",
    "picker.pick": "选择",
}
