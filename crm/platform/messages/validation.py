"""Messages for the shared field validators."""

MESSAGES: dict[str, tuple[str, str]] = {
    "validation.phone": (
        "Not a valid phone number: use a mainland mobile (13812345678), a landline with area code (010-12345678) or +country code (+44 20 7946 0958).",
        "电话号码无效：请填写大陆手机号（13812345678）、带区号的座机（010-12345678）或带国家代码的号码（+44 20 7946 0958）。",
    ),
    "validation.amount": (
        "Not a valid amount: a number from 0 to 999,999,999,999.99 with at most two decimals.",
        "金额无效：须为 0 至 999,999,999,999.99 之间且最多两位小数的数字。",
    ),
    "validation.future_date": ("This date cannot be in the future.", "该日期不能晚于今天。"),
    "validation.code_format": (
        "1–32 characters: letters, digits, dot, dash or underscore.",
        "1–32 个字符：字母、数字、点、横线或下划线。",
    ),
    "validation.choice": ("Not one of the allowed values.", "不是允许的取值。"),
    "validation.code_taken": ("This code is already used.", "该编号已被使用。"),
    "validation.date": ("Not a valid date (YYYY-MM-DD).", "日期无效（格式 YYYY-MM-DD）。"),
    "validation.nul": (
        "Contains a NUL character (\\x00), which cannot be saved: remove it (it often comes with text copied "
        "from another program).",
        "包含无法保存的空字符（\\x00）：请删除它（通常随从其他程序复制的文字一起带入）。",
    ),
}
