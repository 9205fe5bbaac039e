"""What a user is told when the database fails under a save or a read."""

MESSAGES: dict[str, tuple[str, str]] = {
    "error.database_full": (
        "Not saved: the database has no room left (its disk is full). Nothing was half-written, and you can still "
        "look things up; what you typed is kept. Ask your administrator to free disk space, then save again.",
        "未保存：数据库已无可用空间（磁盘已满）。没有写入任何不完整的内容，仍可查看数据；您的输入已保留。"
        "请管理员释放磁盘空间后再保存。",
    ),
    "error.database_unavailable": (
        "Not saved: the connection to the database was lost. Nothing was half-written and what you typed is kept; "
        "save again in a moment. If it keeps failing, ask your administrator whether the database server is running.",
        "未保存：与数据库的连接已中断。没有写入任何不完整的内容，您的输入已保留；请稍后再保存。"
        "如果一直失败，请管理员检查数据库服务器是否在运行。",
    ),
    "error.database_unreachable": (
        "The database cannot be reached right now, so this part cannot be shown. Try again in a moment.",
        "暂时无法连接数据库，此部分无法显示。请稍后再试。",
    ),
}
