"""实时权限、登录拒绝、锁定账户、上传和导出文件夹、数据库故障。"""

STRINGS = {
    "rights.session_ended": "您的账户已被停用，本次会话已结束。",
    "rights.login_refused": "用户名或密码错误，或账户暂时被锁定。如持续出现，请联系管理员。",
    "rights.locked_since": "锁定于",
    "rights.unlock": "解锁",
    "rights.unlocked": "账户已解锁。",
    "rights.not_locked": "账户 {login} 未被锁定。",
}
