"""数据字典条目被哪些记录使用：每个引用它的表一条文字。"""
STRINGS = {
    "dictionary.used_by.separator": "、",
    "dictionary.used_by.customer": "{count} 个客户",
    "dictionary.used_by.service": "{count} 个服务",
    "dictionary.used_by.payment": "{count} 笔付款",
    "dictionary.used_by.other": "{count} 条{table}记录",
}
