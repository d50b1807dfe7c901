"""来自外部的文本：无法读取的邮件、拒收的字符、邮件头注入。"""

STRINGS = {
    "error.login_spaces": "登录名不能含空格",
    "mail.status.unreadable": "无法读取",
    "mail.problem": "问题",
    "mail.problem.cleaned": "已从以下部分删除控制字符：{parts}。原始邮件已保留。",
    "mail.problem.unparsable": "邮件无法读取（{reason}）。",
    "mail.problem.unstorable": "邮件无法保存（{reason}）。",
    "mail.problem.too_deep": "邮件无法读取：其各部分嵌套过深。",
    "mail.error.unreadable_attach": "无法读取的邮件不能归入客户。",
    "mail.error.header_line_break": "必须为单行文本：不能含换行或控制字符，=?…?= 编码词中"
                                    "也不能含有，且编码词须能按其字符集解码",
    "mail.error.sender_line_break": "config.yaml 中 mail.smtp.sender 的发件人含有换行或控制字符。",
    "mail.error.header_injected": "该邮件会带上未指定的邮件头行，未发送。",
    "mail.fetch_counts": "收到 {total} 封：{filed} 封已归入，{unmatched} 封未匹配，"
                         "{unreadable} 封无法读取，{duplicates} 封已存在。",
}
