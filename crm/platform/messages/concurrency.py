"""What a user is told when other saves held the records theirs needed."""

MESSAGES: dict[str, tuple[str, str]] = {
    "error.database_busy": (
        "Not saved: other saves were holding the same records at that moment. Nothing was half-written and what you "
        "typed is kept; save again.",
        "未保存：此刻其他保存正占用相同的记录。没有写入任何不完整的内容，您的输入已保留；请重新保存。",
    ),
}
