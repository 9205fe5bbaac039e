"""Messages of the satisfaction figures: the figures, their formulas (tooltips), the breakdowns, the errors."""

MESSAGES: dict[str, tuple[str, str]] = {
    # the figures
    "satisfaction.figures.responses": ("Responses", "答卷数"),
    "satisfaction.figures.csat": ("CSAT", "客户满意度（CSAT）"),
    "satisfaction.figures.csat_mean": ("Mean overall score", "平均总体评分"),
    "satisfaction.figures.satisfied": ("Satisfied (4–5)", "满意（4–5 分）"),
    "satisfaction.figures.satisfied_share": ("Share satisfied (4–5)", "满意占比（4–5 分）"),
    "satisfaction.figures.nps": ("NPS", "净推荐值（NPS）"),
    "satisfaction.figures.nps_interval": ("95% interval {low} to {high}", "95% 置信区间 {low} 至 {high}"),
    "satisfaction.figures.promoters": ("Promoters (9–10)", "推荐者（9–10 分）"),
    "satisfaction.figures.passives": ("Passives (7–8)", "被动者（7–8 分）"),
    "satisfaction.figures.detractors": ("Detractors (0–6)", "贬损者（0–6 分）"),
    "satisfaction.figures.small_sample": ("Small sample (under 30 responses)", "样本较少（不足 30 份）"),
    "satisfaction.figures.no_data": ("No data", "无数据"),
    "satisfaction.figures.dimension": ("Dimension", "评价维度"),
    "satisfaction.figures.dimension_mean": ("Mean score", "平均分"),
    "satisfaction.figures.answered": ("Answered", "已作答"),
    "satisfaction.figures.unanswered": ("Unanswered", "未作答"),
    "satisfaction.figures.month": ("Month", "月份"),
    "satisfaction.figures.recovery_rate": ("Recovery rate", "挽回率"),
    "satisfaction.figures.alerted_customers": ("Alerted customers", "预警客户"),
    "satisfaction.figures.with_later_response": ("With a later response", "之后有新答卷"),
    "satisfaction.figures.recovered": ("Recovered", "已挽回"),
    "satisfaction.figures.fallen": ("Customers whose latest score fell", "最新评分下降的客户"),
    "satisfaction.figures.customer": ("Customer", "客户"),
    "satisfaction.figures.owner": ("Owner", "负责人"),
    "satisfaction.figures.previous": ("Previous response", "上一次答卷"),
    "satisfaction.figures.latest": ("Latest response", "最近一次答卷"),
    "satisfaction.figures.basis.overall": ("Overall score", "总体评分"),
    "satisfaction.figures.basis.nps": ("Likelihood to recommend", "推荐意愿"),
    # the formulas, for tooltips and the command line's help
    "satisfaction.figures.help.csat": (
        "Mean overall score (1–5) of the period's responses that have one, and the share of them scoring 4 or 5.",
        "期间内有总体评分（1–5 分）的答卷的平均分，以及其中 4 分或 5 分的占比。",
    ),
    "satisfaction.figures.help.nps": (
        "% promoters (9–10) − % detractors (0–6) among the period's responses with a likelihood to recommend, "
        "from −100 to 100, with its 95% confidence interval; under 30 responses it is a small sample.",
        "期间内有推荐意愿评分的答卷中，推荐者（9–10 分）占比减去贬损者（0–6 分）占比，取值 −100 至 100，"
        "并给出 95% 置信区间；不足 30 份时为小样本。",
    ),
    "satisfaction.figures.help.dimensions": (
        "Mean score (1–5) of each dimension over the responses that answered it; unanswered: asked by the "
        "response's template but left blank.",
        "各维度在作答答卷中的平均分（1–5 分）；未作答：答卷所用问卷包含该维度但未填写。",
    ),
    "satisfaction.figures.help.recovery": (
        "Customers alerted in the period (NPS ≤ 6 or overall ≤ 2) whose next response after the alert, even "
        "after the period, is a promoter or passive (NPS ≥ 7) or satisfied (overall ≥ 4), ÷ alerted customers "
        "with a later response.",
        "期间内触发预警（NPS ≤ 6 或总体评分 ≤ 2）的客户中，预警后的下一份答卷（可晚于期间）为推荐者或被动者"
        "（NPS ≥ 7）或满意（总体评分 ≥ 4）的客户数 ÷ 预警后有新答卷的客户数。",
    ),
    "satisfaction.figures.help.fallen": (
        "Customers whose latest response in the period scored lower than their response before it (the overall "
        "score, or the likelihood to recommend when an overall score is missing).",
        "期间内最近一次答卷的评分低于其上一次答卷的客户（比较总体评分；缺少总体评分时比较推荐意愿）。",
    ),
    # the breakdowns
    "satisfaction.figures.by.value_tier": ("Value tier", "价值等级"),
    "satisfaction.figures.by.lifecycle_stage": ("Stage", "合作阶段"),
    "satisfaction.figures.by.owner": ("Owner", "负责人"),
    "satisfaction.figures.by.department": ("Department", "部门"),
    "satisfaction.figures.by.industry": ("Industry", "行业"),
    "satisfaction.figures.by.region": ("Region", "地区"),
    "satisfaction.figures.not_set": ("Not set", "未填写"),
    "satisfaction.figures.no_owner": ("No owner", "无负责人"),
    "satisfaction.figures.no_department": ("No department", "无部门"),
    "satisfaction.figures.overall": ("All", "全部"),
    # errors
    "satisfaction.figures.error.period": ("The start must not be after the end.", "开始日期不能晚于结束日期。"),
    "satisfaction.figures.error.by": ("Choose a breakdown from the list.", "请从列表中选择一种细分方式。"),
}
