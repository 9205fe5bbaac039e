"""Messages of the survey campaigns: the form's fields, their errors, a run's outcome, the list and its members."""

MESSAGES: dict[str, tuple[str, str]] = {
    # fields (the form's labels; errors are shown next to them under these names)
    "satisfaction.campaign.field.name": ("Campaign name", "活动名称"),
    "satisfaction.campaign.field.template_id": ("Survey template", "问卷模板"),
    "satisfaction.campaign.field.starts_on": ("Starts on", "开始日期"),
    "satisfaction.campaign.field.ends_on": ("Ends on", "结束日期"),
    "satisfaction.campaign.field.due_in_days": ("Survey task due after (days)", "调查任务期限（天）"),
    "satisfaction.campaign.field.value_tiers": ("Value tiers", "价值等级"),
    "satisfaction.campaign.field.stages": ("Stages", "合作阶段"),
    "satisfaction.campaign.field.owner_ids": ("Owners", "负责人"),
    "satisfaction.campaign.field.department_ids": ("Departments", "部门"),
    "satisfaction.campaign.field.complaint_closed_within_days": (
        "Closed a complaint in the last N days",
        "最近 N 天内有已关闭的投诉",
    ),
    "satisfaction.campaign.target_help": (
        "Customers matching every chosen criterion are asked (any value within one criterion); leave all empty to "
        "ask every live customer. A customer's department is its own, or its owner's when it has none.",
        "同时满足所有已选条件的客户会被邀请（同一条件内满足任一取值即可）；全部留空则邀请所有未归档客户。"
        "客户的部门取其自身部门，未设置时取其负责人的部门。",
    ),
    # errors
    "satisfaction.campaign.name_taken": ("Another campaign already has this name.", "已有同名的调查活动。"),
    "satisfaction.campaign.ends_before_start": (
        "The end date is before the start date.",
        "结束日期早于开始日期。",
    ),
    "satisfaction.campaign.days_range": ("A whole number from {low} to {high}.", "请输入 {low} 到 {high} 之间的整数。"),
    "satisfaction.campaign.template_retired": (
        "This template has been replaced by a newer revision or archived: choose the current one.",
        "该模板已被新版本替代或已归档，请选择当前版本。",
    ),
    "satisfaction.campaign.not_started": (
        "The campaign starts on {starts_on}: it cannot be run before then.",
        "该活动于 {starts_on} 开始，在此之前不能执行。",
    ),
    "satisfaction.campaign.ended": (
        "The campaign ended on {ends_on}: it can no longer be run.",
        "该活动已于 {ends_on} 结束，不能再执行。",
    ),
    # a run
    "satisfaction.campaign.run": ("Run now", "立即执行"),
    "satisfaction.campaign.preview": (
        "{count} customers would be asked now.",
        "现在执行将邀请 {count} 位客户。",
    ),
    "satisfaction.campaign.ran": (
        "{added} customers added, {tasks} survey tasks created in their owners' queues; {already} were members "
        "already, {no_owner} skipped for want of an owner.",
        "新增 {added} 位客户，已在其负责人的待办中创建 {tasks} 个调查任务；{already} 位此前已在活动中，"
        "{no_owner} 位因没有负责人而跳过。",
    ),
    # the list and the members
    "satisfaction.campaign.col.members": ("Customers asked", "邀请客户数"),
    "satisfaction.campaign.col.responded": ("Responded", "已回复"),
    "satisfaction.campaign.col.response_rate": ("Response rate", "回复率"),
    "satisfaction.campaign.col.tasks_open": ("Tasks open", "未完成任务"),
    "satisfaction.campaign.col.tasks_done": ("Tasks done", "已完成任务"),
    "satisfaction.campaign.col.last_run_at": ("Last run", "最近执行"),
    "satisfaction.campaign.col.template": ("Template", "模板"),
    "satisfaction.campaign.col.state": ("State", "状态"),
    "satisfaction.campaign.col.added_at": ("Added", "加入时间"),
    "satisfaction.campaign.col.task": ("Survey task", "调查任务"),
    "satisfaction.campaign.col.answered": ("Answered", "已回复"),
    "satisfaction.campaign.never_run": ("Never", "从未执行"),
    "satisfaction.campaign.no_data": ("No data", "无数据"),
    "satisfaction.campaign.state.scheduled": ("Scheduled", "未开始"),
    "satisfaction.campaign.state.running": ("Running", "进行中"),
    "satisfaction.campaign.state.ended": ("Ended", "已结束"),
    "satisfaction.campaign.task_status.none": ("No task (one was already open)", "无任务（已有未完成的调查任务）"),
    # the command line
    "satisfaction.campaign.cli.no_campaigns": ("No campaigns yet.", "暂无调查活动。"),
}
