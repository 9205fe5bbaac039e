"""Messages of customer, contact and order import and export (column names, row problems, the panel)."""

MESSAGES: dict[str, tuple[str, str]] = {
    # column names: import fields and export columns (also recognised as headers when importing)
    "imports.field.code": ("Customer code", "客户编号"),
    "imports.field.name": ("Customer name", "客户名称"),
    "imports.field.customer_code": ("Customer code", "客户编号"),
    "imports.field.customer_name": ("Customer name", "客户名称"),
    "imports.field.customer_type": ("Customer type", "客户类型"),
    "imports.field.industry": ("Industry", "行业"),
    "imports.field.region": ("Region", "区域"),
    "imports.field.address": ("Address", "地址"),
    "imports.field.company_size": ("Company size", "企业规模"),
    "imports.field.source_channel": ("Source", "来源渠道"),
    "imports.field.owner": ("Owner", "负责人"),
    "imports.field.owner_name": ("Owner name", "负责人姓名"),
    "imports.field.department": ("Department", "部门"),
    "imports.field.lifecycle_stage": ("Stage", "合作阶段"),
    "imports.field.churn_reason": ("Churn reason", "流失原因"),
    "imports.field.need_type": ("Need type", "需求类型"),
    "imports.field.importance": ("Importance", "重要性"),
    "imports.field.expected_close_date": ("Expected close date", "预计成交日期"),
    "imports.field.first_contact_date": ("First contact date", "首次接触日期"),
    "imports.field.birthday": ("Birthday", "生日"),
    "imports.field.needs": ("Needs", "需求"),
    "imports.field.products_in_use": ("Products in use", "在用产品"),
    "imports.field.decision_process": ("Decision process", "决策流程"),
    "imports.field.competitors": ("Competitors", "竞争对手"),
    "imports.field.preferences": ("Preferences", "偏好"),
    "imports.field.notes": ("Notes", "备注"),
    "imports.field.contact_name": ("Contact", "联系人"),
    "imports.field.contact_title": ("Title", "职务"),
    "imports.field.phone": ("Phone", "电话"),
    "imports.field.email": ("Email", "邮箱"),
    "imports.field.wechat": ("WeChat", "微信"),
    "imports.field.is_primary": ("Primary contact", "主要联系人"),
    "imports.field.order_no": ("Order number", "订单号"),
    "imports.field.order_date": ("Order date", "订单日期"),
    "imports.field.amount": ("Amount", "金额"),
    "imports.field.product": ("Product", "产品"),
    "imports.field.currency": ("Currency", "币种"),
    "imports.field.tags": ("Tags", "标签"),
    "imports.field.urgency": ("Urgency", "成交紧迫性"),
    "imports.field.value_tier": ("Value tier", "价值等级"),
    "imports.field.size_class": ("Size class", "规模分类"),
    "imports.field.relationship": ("Relationship", "客户关系"),
    "imports.field.credit_risk": ("Credit risk", "信用风险"),
    "imports.field.rfm_recency_days": ("Days since last order", "距上次购买天数"),
    "imports.field.rfm_frequency": ("Orders (12 months)", "购买次数（12 个月）"),
    "imports.field.rfm_monetary": ("Revenue (12 months)", "购买金额（12 个月）"),
    "imports.field.rfm_r": ("R score", "R 分"),
    "imports.field.rfm_f": ("F score", "F 分"),
    "imports.field.rfm_m": ("M score", "M 分"),
    "imports.field.rfm_score": ("RFM score", "RFM 总分"),
    "imports.field.follow_up_state": ("Follow-up state", "跟进状态"),
    "imports.field.last_contact_at": ("Last contact", "最近联系时间"),
    "imports.field.next_follow_up_at": ("Next follow-up", "下次跟进时间"),
    "imports.field.created_at": ("Created", "创建时间"),
    "imports.field.updated_at": ("Last changed", "最后修改时间"),
    "imports.field.archived_at": ("Archived", "归档时间"),
    # kinds
    "imports.kind.customers": ("Customers", "客户"),
    "imports.kind.contacts": ("Contacts", "联系人"),
    "imports.kind.orders": ("Orders", "订单"),
    # reading the file
    "imports.unsupported_format": (
        "{name}: unsupported file type. Use one of: {formats}.",
        "{name}：不支持的文件类型。请使用：{formats}。",
    ),
    "imports.encoding": (
        "The file's text encoding was not recognised. Save it as CSV UTF-8 (or GBK), or as an Excel .xlsx workbook.",
        "无法识别文件的文字编码。请另存为 CSV UTF-8（或 GBK）格式，或 Excel .xlsx 工作簿。",
    ),
    "imports.unreadable": (
        "The file cannot be read (line {line}: {reason}).",
        "无法读取该文件（第 {line} 行：{reason}）。",
    ),
    "imports.too_large": (
        "The file is {mb} MB; at most {max_mb} MB can be imported at once. Split it into smaller files (the header "
        "row in each) and import them one after another.",
        "文件大小为 {mb} MB，一次最多可导入 {max_mb} MB。请拆分为多个较小的文件（每个都保留表头行），依次导入。",
    ),
    "imports.binary_file": (
        "This is not a CSV text file (it holds binary data: an image, an archive or a renamed workbook?). Save the "
        "sheet as CSV UTF-8 or as an Excel .xlsx workbook.",
        "这不是 CSV 文本文件（其中含有二进制数据：可能是图片、压缩包或被改名的工作簿）。请将表格另存为 CSV UTF-8 或 Excel .xlsx 工作簿。",
    ),
    "imports.empty_file": (
        "The file is empty: it needs a header row and at least one data row.",
        "文件为空：需要一行表头和至少一行数据。",
    ),
    "imports.unknown_kind": (
        "Unknown record type {kind}; use one of: {kinds}.",
        "未知的记录类型 {kind}；可选：{kinds}。",
    ),
    # file-level problems (line 1 = the header)
    "imports.missing_column": (
        "Required column missing: map a column of the file to it.",
        "缺少必填列：请将文件中的某一列对应到该字段。",
    ),
    "imports.mapped_twice": (
        "Two columns are mapped to the same field (also “{other}”).",
        "两列对应到了同一字段（另一列为「{other}」）。",
    ),
    # row problems
    "imports.unknown_value": (
        "“{value}” is not a known value; use one of: {allowed}.",
        "「{value}」不是可识别的取值；可选：{allowed}。",
    ),
    "imports.boolean": (
        "“{value}” is not yes or no (use 1/0, yes/no, true/false, 是/否).",
        "「{value}」不是“是”或“否”（可用 1/0、yes/no、true/false、是/否）。",
    ),
    "imports.unknown_customer": (
        "No customer has the code {code}. Import the customers first, or allow creating missing customers.",
        "没有编号为 {code} 的客户。请先导入客户，或勾选“自动创建缺失的客户”。",
    ),
    "imports.unknown_owner": (
        "No active user “{value}” who may own customers (give the username).",
        "没有可负责客户的在职用户「{value}」（请填写用户名）。",
    ),
    "imports.unknown_department": (
        "No department “{value}” (give its code or name).",
        "没有部门「{value}」（请填写部门编码或名称）。",
    ),
    "imports.duplicate_in_file": (
        "Repeats line {line} of the file; only the first one is imported.",
        "与文件第 {line} 行重复；只导入第一行。",
    ),
    "imports.duplicate_contact_in_file": (
        "The same contact of the same customer is already on line {line}.",
        "同一客户的同名联系人已在第 {line} 行出现。",
    ),
    "imports.second_primary": (
        "Line {line} already makes another contact this customer's primary contact.",
        "第 {line} 行已将另一联系人设为该客户的主要联系人。",
    ),
    "imports.same_name_in_file": (
        "Same name as line {line} but a different code: two records for one customer?",
        "与第 {line} 行名称相同但编号不同：是否同一客户被录入了两次？",
    ),
    "imports.possible_duplicate_name": (
        "Possible duplicate: existing customer {code} “{name}” has the same name.",
        "可能重复：现有客户 {code}「{name}」名称相同。",
    ),
    "imports.possible_duplicate_phone": (
        "Possible duplicate: existing customer {code} “{name}” has this phone.",
        "可能重复：现有客户 {code}「{name}」使用此电话。",
    ),
    "imports.possible_duplicate_email": (
        "Possible duplicate: existing customer {code} “{name}” has this email.",
        "可能重复：现有客户 {code}「{name}」使用此邮箱。",
    ),
    "imports.customer_archived": (
        "Customer {code} is archived: the row is imported, the customer stays archived.",
        "客户 {code} 已归档：该行会导入，客户仍保持归档状态。",
    ),
    "imports.currency": (
        "“{value}” is not a currency code (three letters, e.g. CNY, USD).",
        "「{value}」不是币种代码（三个字母，例如 CNY、USD）。",
    ),
    "imports.order_no_taken": (
        "Order number {order_no} already belongs to another customer's order.",
        "订单号 {order_no} 已属于其他客户的订单。",
    ),
    "imports.formula_without_value": (
        "This cell holds a formula saved without its result, so it reads as empty. Open the file in Excel (or "
        "WPS / LibreOffice) and save it, or copy the column and paste it as values, then import again.",
        "该单元格是公式，但文件中没有保存计算结果，读出来是空的。请用 Excel（或 WPS / LibreOffice）打开文件后保存，"
        "或将该列复制后“选择性粘贴为数值”，再重新导入。",
    ),
    "imports.unknown_choice": (
        "Unknown choice for likely duplicates; use one of: {choices}.",
        "未知的疑似重复处理方式；可选：{choices}。",
    ),
    "imports.same_name_without_code": (
        "Same name as line {line}: without a code column the file cannot say whether they are one customer or "
        "two. Keep one row, or add a code column.",
        "与第 {line} 行名称相同：文件没有客户编号列，无法判断是同一客户还是两个客户。请只保留一行，或增加客户编号列。",
    ),
    "imports.same_match_in_file": (
        "Line {line} already updates customer {code}, which this row also looks like: choose “skip” or "
        "“import as new” for one of them.",
        "第 {line} 行已在更新客户 {code}，本行也与该客户相似：请将其中一行设为“跳过”或“作为新客户导入”。",
    ),
    "imports.likely_duplicate.skip": (
        "Likely duplicate of {code} “{name}” (same {matched}): skipped.",
        "疑似与 {code}「{name}」重复（{matched}相同）：跳过。",
    ),
    "imports.likely_duplicate.update": (
        "Likely duplicate of {code} “{name}” (same {matched}): updates it.",
        "疑似与 {code}「{name}」重复（{matched}相同）：更新该客户。",
    ),
    "imports.likely_duplicate.new": (
        "Likely duplicate of {code} “{name}” (same {matched}): imported as a new customer anyway.",
        "疑似与 {code}「{name}」重复（{matched}相同）：仍作为新客户导入。",
    ),
    "imports.matched_on.name": ("name", "名称"),
    "imports.matched_on.phone": ("phone", "电话"),
    "imports.matched_on.email": ("email", "邮箱"),
    "imports.matched_on.separator": (", ", "、"),
    "imports.concurrent_change": (
        "Someone changed some of these records while the import ran; nothing was imported. Run it again.",
        "导入期间有人修改了其中的记录；本次未导入任何内容。请重新导入。",
    ),
    # the report
    "imports.report.line": ("Line", "行号"),
    "imports.report.column": ("Column", "列"),
    "imports.report.severity": ("Type", "类型"),
    "imports.report.message": ("Problem", "问题"),
    "imports.severity.error": ("Error", "错误"),
    "imports.severity.warning": ("Warning", "警告"),
    "imports.count.created": ("New", "新增"),
    "imports.count.updated": ("Updated", "更新"),
    "imports.count.unchanged": ("Unchanged or already there", "无变化或已存在"),
    "imports.count.bad": ("Rows with errors", "有错误的行"),
    "imports.count.rows": ("Rows in the file", "文件行数"),
    "imports.count.contacts": ("Contacts: {created} new, {updated} updated", "联系人：新增 {created}，更新 {updated}"),
    "imports.count.customers": ("Customers created: {created}", "新建客户：{created}"),
    "imports.count.skipped": ("Likely duplicates skipped: {count}", "跳过的疑似重复：{count}"),
    "imports.count.identical_rows": (
        "{count} row(s) repeat an earlier row of the file (same customer, date, amount and product, no order "
        "number): each is an order of its own.",
        "{count} 行与文件中前面的行完全相同（客户、日期、金额、产品相同且无订单号）：每行各算一笔订单。",
    ),
    # the import panel
    "imports.panel.title": ("Import", "导入"),
    "imports.panel.intro": (
        "Upload a CSV or Excel file with one record per row and a header row (English or Chinese column names). "
        "Check it with a dry run first: nothing is saved until you import.",
        "上传 CSV 或 Excel 文件：首行为表头（中文或英文列名），每行一条记录。请先试运行检查：点击“导入”之前不会保存任何内容。",
    ),
    "imports.panel.kind": ("What the file holds", "文件内容"),
    "imports.panel.file": ("File (CSV or Excel .xlsx)", "文件（CSV 或 Excel .xlsx）"),
    "imports.panel.read_as": ("{rows} rows read · encoding {encoding}", "已读取 {rows} 行 · 编码 {encoding}"),
    "imports.panel.read_xlsx": ("{rows} rows read from the first sheet", "已从第一个工作表读取 {rows} 行"),
    "imports.panel.mapping": ("Columns", "列对应"),
    "imports.panel.mapping_help": (
        "Which field each column of the file fills. Columns set to “ignore” are not imported.",
        "文件中每一列对应的字段。设为“忽略”的列不会导入。",
    ),
    "imports.panel.ignore": ("— ignore —", "— 忽略 —"),
    "imports.panel.required": ("{field} (required)", "{field}（必填）"),
    "imports.panel.preview": ("First rows of the file", "文件前几行"),
    "imports.panel.all_or_nothing": (
        "All or nothing: import nothing if any row has an error",
        "全部或全不：任一行有错误则不导入任何内容",
    ),
    "imports.panel.create_missing": (
        "Create customers missing from the database (by code)",
        "自动创建缺失的客户（按编号）",
    ),
    "imports.panel.on_duplicate": ("Rows that look like an existing customer", "与现有客户疑似重复的行"),
    "imports.panel.on_duplicate_help": (
        "The file has no customer code column: codes are assigned, and rows matching an existing customer's "
        "name, phone or email are handled as chosen here (run a dry run to see them and choose row by row).",
        "文件没有客户编号列：将自动分配编号；名称、电话或邮箱与现有客户相同的行按此处的选择处理"
        "（试运行后可逐行选择）。",
    ),
    "imports.choice.skip": ("Skip", "跳过"),
    "imports.choice.update": ("Update the existing customer", "更新现有客户"),
    "imports.choice.new": ("Import as a new customer", "作为新客户导入"),
    "imports.panel.duplicates": ("Likely duplicates: {count}", "疑似重复：{count} 行"),
    "imports.panel.duplicates_help": (
        "Each row below looks like an existing customer. Choose what to do with it, then run the dry run again "
        "or import.",
        "以下每一行都与某个现有客户相似。请为每行选择处理方式，然后重新试运行或导入。",
    ),
    "imports.panel.duplicate_row": (
        "Line {line}: “{name}” looks like {code} “{candidate}” (same {matched})",
        "第 {line} 行「{name}」与 {code}「{candidate}」相似（{matched}相同）",
    ),
    "imports.panel.duplicates_more": (
        "{more} more rows follow the choice for the file.",
        "其余 {more} 行按整个文件的选择处理。",
    ),
    "imports.panel.dry_run": ("Dry run (check only)", "试运行（仅检查）"),
    "imports.panel.run": ("Import", "导入"),
    "imports.panel.dry_run_done": ("Dry run: nothing was saved.", "试运行：未保存任何内容。"),
    "imports.panel.done": ("Import finished.", "导入完成。"),
    "imports.panel.nothing_written": (
        "Nothing was imported: the file has errors and “all or nothing” is on.",
        "未导入任何内容：文件中有错误，且已选择“全部或全不”。",
    ),
    "imports.panel.problems": ("{errors} errors and {warnings} warnings", "{errors} 个错误，{warnings} 个警告"),
    "imports.panel.no_problems": ("No problems found.", "未发现问题。"),
    "imports.panel.shown_first": (
        "Showing the first {shown} of {total}; download the report for all.",
        "仅显示前 {shown} 条，共 {total} 条；完整内容请下载报告。",
    ),
    "imports.panel.download_report": ("Download the report (CSV)", "下载报告（CSV）"),
    "imports.panel.not_allowed": ("Only managers and administrators may import.", "只有经理和管理员可以导入。"),
    # export
    "exports.title": ("Export", "导出"),
    "exports.kind": ("Export", "导出内容"),
    "exports.scope_filtered": ("The filtered list", "当前筛选结果"),
    "exports.scope_all": ("Everything I may see", "我可查看的全部"),
    "exports.scope": ("Which customers", "导出范围"),
    "exports.csv": ("Download CSV", "下载 CSV"),
    "exports.xlsx": ("Download Excel", "下载 Excel"),
    "exports.masked_note": ("Phones and emails are masked in your exports.", "您导出的电话和邮箱已做脱敏处理。"),
    "exports.unknown_format": (
        "Unknown format {format}; use one of: {formats}.",
        "未知格式 {format}；可选：{formats}。",
    ),
    "exports.sheet.customers": ("Customers", "客户"),
    "exports.sheet.contacts": ("Contacts", "联系人"),
    "exports.sheet.orders": ("Orders", "订单"),
    # audit trail
    "audit.action.import": ("imported", "导入"),
    "audit.action.export": ("exported", "导出"),
}
