"""实时权限、登录拒绝、锁定账户、上传和导出文件夹、数据库故障。"""

STRINGS = {
    "rights.session_ended": "您的账户已被停用，本次会话已结束。",
    "rights.login_refused": "用户名或密码错误，或账户暂时被锁定。如持续出现，请联系管理员。",
    "rights.locked_since": "锁定于",
    "rights.unlock": "解锁",
    "rights.unlocked": "账户已解锁。",
    "rights.not_locked": "账户 {login} 未被锁定。",
    "rights.upload_outside": "只能从 {folders} 附加文件。请先把文件复制到那里（例如用 scp 或 sftp）。",
    "rights.export_outside": "副本只能导出到 {folder}。",
    "rights.not_regular": "只能附加普通文件（不能是设备、管道、系统文件或指向外部的链接）。",
    "rights.crm_file": "不能附加本系统自己的文件（数据库、配置和文档库）。",
    "rights.store_full": "文档库所在磁盘（{folder}）已满，未附加任何文件。请告知管理员。",
    "rights.store_unwritable": "文档库（{folder}）无法写入：{reason}。未附加任何文件。",
    "rights.db_full": "数据库（{path}）所在磁盘已满，未保存任何内容。请告知管理员。",
    "rights.db_read_only": "数据库（{path}）为只读，未保存任何内容。请告知管理员。",
    "rights.db_io": "数据库（{path}）无法读写（磁盘故障），未保存任何内容。",
    "rights.db_gone": "数据库文件 {path} 已不存在（被删除或移走），未保存任何内容。请告知管理员。",
    "rights.db_replaced": "数据库文件 {path} 已被另一个文件替换，本系统不会写入该文件。请告知管理员。",
    "rights.db_other": "数据库未能正常响应（{reason}），未保存任何内容。",
}
