"""Messages of the demo-data loader."""

MESSAGES: dict[str, tuple[str, str]] = {
    "demo.not_empty": (
        "The database already holds data; demo data is only loaded into an empty database (--reset replaces earlier "
        "demo data).",
        "数据库中已有数据；演示数据只能加载到空数据库（--reset 可替换之前加载的演示数据）。",
    ),
    "demo.not_demo_data": (
        "The database holds data the demo did not make (other accounts, imported or real customers, their history); "
        "--reset only replaces demo data. To delete everything in it, real data included, use --delete-everything.",
        "数据库中有不是演示程序生成的数据（其他账号、导入的或真实的客户及其记录）；--reset 只会替换演示数据。"
        "如确要删除其中的全部数据（包括真实数据），请使用 --delete-everything。",
    ),
    "demo.customers_positive": ("The number of demo customers must be at least 1.", "演示客户数量至少为 1。"),
}
