"""Messages of backup, restore and migrate-data (the command line prints each in English and Chinese)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "maintenance.column.table": ("table", "表"),
    "maintenance.column.rows": ("rows", "行数"),
    "maintenance.column.checksum": ("checksum", "校验和"),
    "maintenance.column.check": ("check", "核对"),
    "maintenance.check.ok": ("ok", "一致"),
    "maintenance.check.differs": ("DIFFERS", "不一致"),
    "maintenance.backup_done": (
        "Backup written to {file}: {tables} tables, {rows} rows, schema revision {revision}.",
        "备份已写入 {file}：{tables} 张表，共 {rows} 行，数据库结构版本 {revision}。",
    ),
    "maintenance.sqlite_copy_done": (
        "SQLite database copied to {file} (online backup; restore it with `python -m crm restore {file}`).",
        "SQLite 数据库已复制到 {file}（在线备份；可用 `python -m crm restore {file}` 恢复）。",
    ),
    "maintenance.restore_done": (
        "Restored {tables} tables, {rows} rows into {url}: every row count and checksum matches the backup.",
        "已将 {tables} 张表、共 {rows} 行恢复到 {url}：每张表的行数和校验和均与备份一致。",
    ),
    "maintenance.migrate_done": (
        "Copied {tables} tables, {rows} rows into {url}: every row count and checksum matches the source. "
        "Point CRM_DATABASE_URL at it and restart the app.",
        "已将 {tables} 张表、共 {rows} 行复制到 {url}：每张表的行数和校验和均与源数据库一致。"
        "请将 CRM_DATABASE_URL 指向它并重启应用。",
    ),
    "maintenance.error": ("error: {message}", "错误：{message}"),
    "maintenance.file_exists": (
        "{file} exists already: a backup never overwrites a file, give it a new name.",
        "{file} 已存在：备份不会覆盖已有文件，请换一个文件名。",
    ),
    "maintenance.file_error": (
        "{file} could not be read or written ({error}); nothing was kept.",
        "无法读取或写入 {file}（{error}）；未保留任何内容。",
    ),
    "maintenance.not_a_backup": (
        "{file} is not a backup made by `python -m crm backup` (neither its zip archive nor a SQLite copy).",
        "{file} 不是由 `python -m crm backup` 生成的备份（既不是其 zip 归档，也不是 SQLite 副本）。",
    ),
    "maintenance.sqlite_only": (
        "--sqlite copies a SQLite database file, and this database is {dialect}: leave out --sqlite to write "
        "the portable backup, which restores on any database.",
        "--sqlite 仅用于复制 SQLite 数据库文件，而当前数据库是 {dialect}：去掉 --sqlite 即可生成可移植备份，"
        "它能恢复到任何数据库。",
    ),
    "maintenance.source_revision": (
        "The database to copy is at schema revision {source}, this version of the app at {app}: run "
        "`python -m crm db upgrade` first.",
        "要复制的数据库结构版本为 {source}，当前应用版本为 {app}：请先运行 `python -m crm db upgrade`。",
    ),
    "maintenance.backup_revision": (
        "The backup was taken at schema revision {backup}, and this version of the app is at {app}: restore it "
        "with the app version that took it, then run `python -m crm db upgrade`.",
        "该备份的数据库结构版本为 {backup}，当前应用版本为 {app}：请用生成该备份的应用版本恢复，"
        "然后运行 `python -m crm db upgrade`。",
    ),
    "maintenance.revision_mismatch": (
        "The target database is at schema revision {target}, the backup at {backup}: restore into an empty "
        "database at the same revision (a database without any table is migrated for you).",
        "目标数据库的结构版本为 {target}，备份为 {backup}：请恢复到结构版本相同的空数据库"
        "（没有任何表的数据库会自动迁移）。",
    ),
    "maintenance.target_not_empty": (
        "The target database already holds data (in {tables}): nothing was written. Restore or copy only into "
        "an empty database: create a new one (or a database without tables), and try again.",
        "目标数据库中已有数据（{tables}）：未写入任何内容。只能恢复或复制到空数据库：请新建一个数据库"
        "（或不含任何表的数据库）后重试。",
    ),
    "maintenance.same_database": (
        "The target {url} is the database being copied: name another one.",
        "目标 {url} 就是要复制的数据库：请指定另一个数据库。",
    ),
    "maintenance.backup_columns": (
        "The backup's table {table} does not have this app's columns: nothing was restored.",
        "备份中的表 {table} 与当前应用的列不一致：未恢复任何内容。",
    ),
    "maintenance.backup_damaged": (
        "The backup is damaged: table {table} does not match the row count and checksum in its manifest. "
        "Nothing was restored.",
        "备份已损坏：表 {table} 与清单中的行数和校验和不一致。未恢复任何内容。",
    ),
    "maintenance.verify_failed": (
        "After the copy, {tables} differ from the source: the target was rolled back and holds nothing. A value "
        "the target cannot hold exactly does this, such as a number of more than 15 digits in SQLite.",
        "复制后 {tables} 与源数据不一致：目标数据库已回滚，未保留任何内容。目标数据库无法精确保存的值会导致此问题，"
        "例如 SQLite 中超过 15 位有效数字的数值。",
    ),
    "maintenance.write_failed": (
        "The target database refused a row, and nothing was kept (rolled back): {error}",
        "目标数据库拒绝了一行数据，已回滚，未保留任何内容：{error}",
    ),
}
