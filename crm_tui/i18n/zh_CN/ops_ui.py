"""日常使用：退出登录、语言、复制、草稿、主题。"""

STRINGS = {
    "ops_ui.sign_out": "退出登录",
    "ops_ui.signed_out": "{login} 已退出登录。下一位用户可以登录。",
    "ops_ui.palette.sign_out": "退出登录 / 切换用户",
    "ops_ui.palette.language": "界面语言：{language}",
    "ops_ui.language.en": "English（英文）",
    "ops_ui.language.zh_CN": "中文",
    "ops_ui.copy": "复制",
    "ops_ui.copy_record": "复制整行",
    "ops_ui.copied": "已复制：{text}",
    "ops_ui.nothing_to_copy": "这里没有可复制的内容。",
    "ops_ui.draft_kept": "此客户的草稿已保留，退出程序前都在。",
    "ops_ui.draft_restored": "已恢复此客户未发送的草稿。",
    "ops_ui.column.satisfaction": "满意度",
    "ops_ui.column.credit": "信用度",
}
