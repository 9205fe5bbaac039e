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
    "validation.control": (
        "Contains an invisible control character, which cannot be saved (it would also break Excel exports): "
        "remove it, e.g. by typing the text again.",
        "包含不可见的控制字符，无法保存（它还会导致 Excel 导出失败）：请删除它，例如重新输入这段文字。",
    ),
    "validation.bidi": (
        "Contains an invisible text-direction control (U+202A–U+202E, U+2066–U+2069) that reorders what is shown; "
        "remove it. Right-to-left text itself is fine.",
        "包含会打乱显示顺序的不可见文字方向控制符（U+202A–U+202E、U+2066–U+2069），请删除。从右到左书写的文字本身没有问题。",
    ),
}
