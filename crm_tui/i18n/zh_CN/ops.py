"""运行 CRM：首次启动、意外错误、修改密码对话框的提示。"""

STRINGS = {
    "ops.login.no_users": "此数据库还没有用户。请在命令行中创建第一个管理员：\n"
                          "  crm-tui user add 登录名 --name 姓名 --role admin",
    "ops.crash": "crm-tui 因意外错误（{kind}）而停止。已保存的内容不会丢失。详情见 {path}",
    "ops.crash.no_log": "crm-tui 因意外错误（{kind}）而停止。已保存的内容不会丢失。"
                        "日志文件夹无法写入，因此没有详细记录。",
    "ops.password.wrong_current": "当前密码不正确。",
}
