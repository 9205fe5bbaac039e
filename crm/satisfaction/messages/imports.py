"""Messages of the survey-response import: its fields (also header aliases), row problems, the report, the CLI."""

MESSAGES: dict[str, tuple[str, str]] = {
    # the fields a file's columns map to (their labels are also recognised as headers)
    "satisfaction.import.field.customer_code": ("Customer code", "客户编号"),
    "satisfaction.import.field.date": ("Response date", "回复日期"),
    "satisfaction.import.field.channel": ("Survey channel", "调查方式"),
    "satisfaction.import.field.template": ("Survey template", "问卷模板"),
    "satisfaction.import.field.overall": ("Overall satisfaction (1–5)", "总体满意度（1–5）"),
    "satisfaction.import.field.nps": ("Likelihood to recommend (0–10)", "推荐意愿（0–10）"),
    "satisfaction.import.field.comment": ("Comment", "意见与建议"),
    "satisfaction.import.field.contact": ("Contact", "联系人"),
    "satisfaction.import.field.complaint": ("Complaint reference", "投诉编号"),
    "satisfaction.import.field.campaign": ("Survey campaign", "调查活动"),
    "satisfaction.import.field.answers": ("Answers", "作答"),
    "satisfaction.import.field.score": ("Score: {dimension}", "评分：{dimension}"),
    "satisfaction.import.columns_help": (
        "One row per response. Required: the customer's code and the response date. Optional: channel (phone, "
        "questionnaire, online, visit; questionnaire when left out), template (name or number; the first template "
        "in force when left out), overall 1–5, NPS 0–10, one column per dimension scored 1–5 (any may be empty), "
        "comment, contact (name), complaint reference (C-2026-000123), campaign (name or number). Headers in "
        "English or Chinese are recognised.",
        "每行一条回复。必填：客户编号、回复日期。可选：调查方式（电话、问卷、在线、上门拜访；不填则为问卷）、"
        "问卷模板（名称或编号；不填则用第一个在用模板）、总体满意度 1–5、推荐意愿 0–10、每个评分维度一列 1–5"
        "（可留空）、意见、联系人（姓名）、投诉编号（C-2026-000123）、调查活动（名称或编号）。可识别中英文表头。",
    ),
    # row problems
    "satisfaction.import.unknown_customer": ("No customer has the code {code}.", "没有编号为 {code} 的客户。"),
    "satisfaction.import.unknown_channel": (
        "“{value}” is not a survey channel; use one of: {allowed}.",
        "「{value}」不是可识别的调查方式；可选：{allowed}。",
    ),
    "satisfaction.import.unknown_template": (
        "No survey template is named or numbered “{value}”.",
        "没有名称或编号为「{value}」的问卷模板。",
    ),
    "satisfaction.import.ambiguous_template": (
        "Several survey templates are named “{value}”: give the template's number instead.",
        "有多个问卷模板名为「{value}」，请改填模板编号。",
    ),
    "satisfaction.import.no_template": (
        "No survey template is in force: create one, or name the template in a column.",
        "没有在用的问卷模板：请先创建模板，或在文件中用一列注明模板。",
    ),
    "satisfaction.import.unknown_contact": (
        "The customer has no contact named “{value}”.",
        "该客户没有名为「{value}」的联系人。",
    ),
    "satisfaction.import.unknown_complaint": (
        "No complaint has the reference “{value}”.",
        "没有编号为「{value}」的投诉。",
    ),
    "satisfaction.import.unknown_campaign": (
        "No survey campaign is named or numbered “{value}”.",
        "没有名称或编号为「{value}」的调查活动。",
    ),
    "satisfaction.import.ambiguous_campaign": (
        "Several survey campaigns are named “{value}”: give the campaign's number instead.",
        "有多个调查活动名为「{value}」，请改填活动编号。",
    ),
    "satisfaction.import.whole_number": ("“{value}” is not a whole number.", "「{value}」不是整数。"),
    "satisfaction.import.same_as_line": (
        "The same response as line {line} (customer, date, channel, template, scores and comment): imported once.",
        "与第 {line} 行是同一条回复（客户、日期、方式、模板、评分和意见均相同），只导入一次。",
    ),
    "satisfaction.import.already_imported": (
        "Already imported (the same response was imported before): skipped.",
        "已导入过（之前导入过同一条回复），跳过。",
    ),
    "satisfaction.import.bad_map_option": (
        "“{option}” is not COLUMN=FIELD.",
        "「{option}」不是“列名=字段”的形式。",
    ),
    # the report and the outcome
    "satisfaction.import.count.added": ("Responses to add", "将新增的回复"),
    "satisfaction.import.count.already_imported": ("Already imported, skipped", "已导入过，跳过"),
    "satisfaction.import.count.bad_rows": ("Rows with errors", "有错误的行"),
    "satisfaction.import.outcome.dry_run": (
        "Dry run: nothing was written; the figures say what an import would do.",
        "试运行：未写入任何内容；以上数字为导入时将执行的操作。",
    ),
    "satisfaction.import.outcome.written": (
        "{added} responses imported; {skipped} already imported; {bad} rows with errors not imported.",
        "已导入 {added} 条回复；{skipped} 条此前已导入；{bad} 行有错误，未导入。",
    ),
    "satisfaction.import.outcome.nothing_written": (
        "Nothing was written: fix the errors listed and import the file again.",
        "未写入任何内容：请修正所列错误后重新导入。",
    ),
}
