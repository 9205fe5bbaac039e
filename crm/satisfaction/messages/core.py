"""Messages of the satisfaction feature's core: channels, dimensions, responses, templates, alerts, the commands."""

MESSAGES: dict[str, tuple[str, str]] = {
    "satisfaction.title": ("Satisfaction", "满意度"),
    # survey channels (crm/satisfaction/vocab.py CHANNELS)
    "satisfaction.channel.phone": ("Phone", "电话"),
    "satisfaction.channel.questionnaire": ("Questionnaire", "问卷"),
    "satisfaction.channel.online": ("Online", "在线"),
    "satisfaction.channel.visit": ("Visit", "上门拜访"),
    # the built-in dimensions (a template's own dimensions carry their labels)
    "satisfaction.dimension.product_quality": ("Product quality", "产品质量"),
    "satisfaction.dimension.service_attitude": ("Service attitude", "服务态度"),
    "satisfaction.dimension.response_speed": ("Response speed", "响应速度"),
    "satisfaction.dimension.problem_resolution": ("Problem resolution", "问题解决"),
    "satisfaction.dimension.value_for_money": ("Value for money", "性价比"),
    # score bands of the responses list
    "satisfaction.band.detractor": ("Detractors (NPS 0–6)", "贬损者（NPS 0–6）"),
    "satisfaction.band.passive": ("Passives (NPS 7–8)", "被动者（NPS 7–8）"),
    "satisfaction.band.promoter": ("Promoters (NPS 9–10)", "推荐者（NPS 9–10）"),
    "satisfaction.band.low_overall": ("Low overall score (1–2)", "总体评分低（1–2）"),
    # fields of a response (errors name them)
    "satisfaction.field.customer_id": ("Customer", "客户"),
    "satisfaction.field.contact_id": ("Contact", "联系人"),
    "satisfaction.field.template_id": ("Survey template", "问卷模板"),
    "satisfaction.field.channel": ("Channel", "渠道"),
    "satisfaction.field.responded_on": ("Date of the answer", "答复日期"),
    "satisfaction.field.overall": ("Overall satisfaction (1–5)", "总体满意度（1–5）"),
    "satisfaction.field.nps": ("Likelihood to recommend (0–10)", "推荐意愿（0–10）"),
    "satisfaction.field.comment": ("Comment", "意见"),
    "satisfaction.field.complaint_id": ("Complaint checked", "回访的投诉"),
    "satisfaction.field.campaign_id": ("Campaign", "调查活动"),
    "satisfaction.field.task_id": ("Follow-up task", "跟进任务"),
    "satisfaction.field.scores": ("Scores per dimension", "各维度评分"),
    "satisfaction.field.answers": ("Answers", "答复"),
    "satisfaction.field.alert": ("Alert", "预警"),
    "satisfaction.field.recorded_by": ("Recorded by", "记录人"),
    "satisfaction.unanswered": ("Not answered", "未作答"),
    # response errors
    "satisfaction.error.unknown_customer": ("No such customer.", "客户不存在。"),
    "satisfaction.error.not_your_customer": (
        "You may record responses only for your own customers.",
        "您只能为自己负责的客户记录满意度答复。",
    ),
    "satisfaction.error.contact_not_customers": (
        "This contact does not belong to the customer.",
        "该联系人不属于此客户。",
    ),
    "satisfaction.error.unknown_template": ("No such survey template.", "问卷模板不存在。"),
    "satisfaction.error.template_retired": (
        "This survey template is retired and takes no new responses.",
        "该问卷模板已停用，不再接收新的答复。",
    ),
    "satisfaction.error.dimension_not_in_template": (
        "The survey template does not ask about this dimension.",
        "该问卷模板不包含此维度。",
    ),
    "satisfaction.error.score_range": (
        "Enter a whole number from {low} to {high}.",
        "请输入 {low} 到 {high} 之间的整数。",
    ),
    "satisfaction.error.nps_range": (
        "Enter a whole number from {low} to {high}.",
        "请输入 {low} 到 {high} 之间的整数。",
    ),
    "satisfaction.error.nothing_answered": (
        "Enter at least one answer: the overall score, the likelihood to recommend or a dimension.",
        "请至少填写一项答复：总体评分、推荐意愿或某一维度的评分。",
    ),
    "satisfaction.error.date_too_early": ("The date cannot be before {earliest}.", "日期不能早于 {earliest}。"),
    "satisfaction.error.complaint_not_customers": (
        "This complaint is not the customer's.",
        "该投诉不属于此客户。",
    ),
    "satisfaction.error.unknown_campaign": ("No such survey campaign.", "调查活动不存在。"),
    "satisfaction.error.task_not_customers": (
        "This follow-up task is not the customer's.",
        "该跟进任务不属于此客户。",
    ),
    "satisfaction.error.task_closed": ("This follow-up task is already closed.", "该跟进任务已关闭。"),
    "satisfaction.error.task_purpose": (
        "A survey response completes only a survey, complaint check or low-score callback task.",
        "满意度答复只能完成满意度调查、投诉回访或低分回访任务。",
    ),
    # templates
    "satisfaction.template.name": ("Template name", "模板名称"),
    "satisfaction.template.dimensions": ("Dimensions scored 1–5", "评分维度（1–5）"),
    "satisfaction.template.revision": ("Revision {revision}", "第 {revision} 版"),
    "satisfaction.template.retired": ("Retired", "已停用"),
    "satisfaction.template.in_force": ("In force", "使用中"),
    "satisfaction.template.responses": ("Responses", "答复数"),
    "satisfaction.template.new_revision": (
        "Responses already answered this template, so the change is saved as revision {revision}; "
        "earlier responses keep the questions they answered.",
        "已有答复使用此模板，因此修改另存为第 {revision} 版；之前的答复保留其原有题目。",
    ),
    "satisfaction.error.no_dimensions": ("Choose at least one dimension.", "请至少选择一个维度。"),
    "satisfaction.error.too_many_dimensions": (
        "A template has at most {max} dimensions.",
        "一个模板最多 {max} 个维度。",
    ),
    "satisfaction.error.duplicate_dimension": ("A dimension appears twice.", "有维度重复。"),
    "satisfaction.error.dimension_code": (
        "A dimension code is lower-case letters, digits and _ (at most 32, starting with a letter).",
        "维度代码只能由小写字母、数字和下划线组成（最多 32 个字符，以字母开头）。",
    ),
    # alerts
    "satisfaction.alert": ("Alert", "预警"),
    "satisfaction.alert.open": ("Open alert", "未处理预警"),
    "satisfaction.alert.closed": ("Followed up", "已跟进"),
    "satisfaction.alert.none": ("No open alerts.", "没有未处理的预警。"),
    "satisfaction.alert.note": ("How it was followed up", "跟进说明"),
    "satisfaction.alert.closed_by_contact": ("Closed by the contact logged on {date}", "已由 {date} 记录的联系关闭"),
    "satisfaction.alert.task": ("Callback task", "回访任务"),
    "satisfaction.error.alert_not_open": (
        "This response has no open alert (not flagged, or already followed up).",
        "该答复没有未处理的预警（未触发或已跟进）。",
    ),
    "satisfaction.error.not_your_alert": (
        "Only the customer's owner, the callback task's owner or a manager may close this alert.",
        "只有客户负责人、回访任务负责人或经理可以关闭此预警。",
    ),
    # command line
    "satisfaction.cli.recorded": ("Response {id} recorded.", "已记录答复 {id}。"),
    "satisfaction.cli.alert_task": (
        "Alert: callback task {task} for {owner}, due {due}.",
        "预警：已为 {owner} 创建回访任务 {task}，截止 {due}。",
    ),
    "satisfaction.cli.alert_no_task": (
        "Alert: no new callback task (one is already open, the customer has no owner, or the rule is off).",
        "预警：未新建回访任务（已有未完成的回访任务、客户无负责人或规则已关闭）。",
    ),
    "satisfaction.cli.alerts_header": ("Open alerts: {total}", "未处理预警：{total}"),
    "satisfaction.cli.no_template": ("No survey template is in force.", "没有使用中的问卷模板。"),
    "satisfaction.cli.no_customer": ("No customer with the code {code}.", "没有代码为 {code} 的客户。"),
    "satisfaction.cli.no_user": ("No user {name}.", "没有用户 {name}。"),
}
