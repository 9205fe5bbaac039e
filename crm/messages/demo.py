"""Messages of the demo-data loader."""

MESSAGES: dict[str, tuple[str, str]] = {
    "demo.not_empty": (
        "The database already holds data; demo data is only loaded into an empty database (use --reset to replace everything).",
        "数据库中已有数据；演示数据只能加载到空数据库（如需全部替换，请使用 --reset）。",
    ),
    "demo.customers_positive": ("The number of demo customers must be at least 1.", "演示客户数量至少为 1。"),
}
