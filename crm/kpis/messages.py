"""Messages of the kpis feature: each KPI's name and formula (the card's tooltip), periods, units, targets, CLI."""

MESSAGES: dict[str, tuple[str, str]] = {
    "kpis.title": ("KPIs", "关键指标"),
    "kpis.no_data": ("No data", "无数据"),
    "kpis.error.period": (
        "Give a month (2026-11), a quarter (2026-Q4), a year (2026), last12 or two dates (2026-01-01..2026-03-31), "
        "the first not after the second.",
        "请填写月份（2026-11）、季度（2026-Q4）、年份（2026）、last12，或两个日期（2026-01-01..2026-03-31），"
        "开始日期不得晚于结束日期。",
    ),
    "kpis.error.kpi": ("No KPI has this code.", "没有此代码的指标。"),
    "kpis.error.target_period": (
        "A target is set for a month (2026-11) or a quarter (2026-Q4).",
        "目标按月（2026-11）或按季度（2026-Q4）设定。",
    ),
    "kpis.error.target_value": (
        "Give a number; a rate as a share between 0 and 1 (0.9 for 90%).",
        "请填写数字；比率按 0 到 1 之间的小数填写（90% 填 0.9）。",
    ),
    "kpis.error.month": ("Give a month that has ended (YYYY-MM).", "请填写已结束的月份（YYYY-MM）。"),
    "kpis.error.drill": ("This figure has no list behind it.", "该指标没有明细列表。"),
    # periods
    "kpis.period.month": ("{name} {year}", "{year}年{name}"),
    "kpis.period.quarter": ("Q{quarter} {year}", "{year}年第{quarter}季度"),
    "kpis.period.year": ("{year}", "{year}年"),
    "kpis.period.last_12_months": ("Last 12 months", "近 12 个月"),
    "kpis.period.custom": ("{start} – {end}", "{start} 至 {end}"),
    "kpis.period.kind.month": ("Month", "月"),
    "kpis.period.kind.quarter": ("Quarter", "季度"),
    "kpis.period.kind.year": ("Year", "年"),
    "kpis.period.kind.last_12_months": ("Last 12 months", "近 12 个月"),
    "kpis.period.kind.custom": ("Custom dates", "自定义日期"),
    "kpis.month.1": ("Jan", "1月"),
    "kpis.month.2": ("Feb", "2月"),
    "kpis.month.3": ("Mar", "3月"),
    "kpis.month.4": ("Apr", "4月"),
    "kpis.month.5": ("May", "5月"),
    "kpis.month.6": ("Jun", "6月"),
    "kpis.month.7": ("Jul", "7月"),
    "kpis.month.8": ("Aug", "8月"),
    "kpis.month.9": ("Sep", "9月"),
    "kpis.month.10": ("Oct", "10月"),
    "kpis.month.11": ("Nov", "11月"),
    "kpis.month.12": ("Dec", "12月"),
    # units
    "kpis.unit.count": ("count", "个数"),
    "kpis.unit.rate": ("share", "比率"),
    "kpis.unit.money": ("CNY", "元"),
    "kpis.unit.days": ("days", "天"),
    "kpis.unit.hours": ("hours", "小时"),
    "kpis.unit.score": ("score 1–5", "评分 1–5"),
    "kpis.unit.nps": ("NPS −100 to 100", "NPS −100 至 100"),
    "kpis.value.days": ("{value} days", "{value} 天"),
    "kpis.value.hours": ("{value} h", "{value} 小时"),
    # the KPIs' names
    "kpis.kpi.customers": ("Customers", "客户数"),
    "kpis.kpi.new_customers": ("New customers", "新增客户"),
    "kpis.kpi.churned_customers": ("Churned customers", "流失客户"),
    "kpis.kpi.churn_rate": ("Churn rate", "客户流失率"),
    "kpis.kpi.conversion_rate": ("Conversion rate", "签约转化率"),
    "kpis.kpi.median_days_to_sign": ("Median days to sign", "签约周期中位数"),
    "kpis.kpi.revenue": ("Revenue", "收入"),
    "kpis.kpi.revenue_top20_share": ("Top 20% revenue share", "前 20% 客户收入占比"),
    "kpis.kpi.customers_making_80": ("Customers for 80% revenue", "贡献 80% 收入的客户数"),
    "kpis.kpi.cadence_compliance": ("Cadence compliance", "跟进频率达标率"),
    "kpis.kpi.overdue_follow_ups": ("Overdue follow-ups", "逾期跟进"),
    "kpis.kpi.complaints_received": ("Complaints received", "收到投诉"),
    "kpis.kpi.resolution_rate": ("Problem resolution rate", "问题解决率"),
    "kpis.kpi.on_time_rate": ("On-time handling rate", "投诉处理及时率"),
    "kpis.kpi.reopen_rate": ("Reopen rate", "投诉重开率"),
    "kpis.kpi.median_hours_to_resolve": ("Median time to resolve", "解决时长中位数"),
    "kpis.kpi.suggestion_adoption_rate": ("Suggestion adoption rate", "建议采纳率"),
    "kpis.kpi.csat": ("CSAT (satisfaction)", "客户满意度"),
    "kpis.kpi.nps": ("NPS", "净推荐值（NPS）"),
    "kpis.kpi.survey_responses": ("Survey responses", "调查份数"),
    "kpis.kpi.recovery_rate": ("Recovery rate", "挽回率"),
    # the formulas (tooltips; the README's KPIs section says the same)
    "kpis.formula.customers": (
        "Customers not archived that existed at the period's end (or now, for a period not yet over), by their "
        "lifecycle stage at that moment (stage history) and their value tier now.",
        "期末（未结束的期间取当前时刻）已存在且未归档的客户数；按当时的合作阶段（阶段历史）和当前价值等级细分。",
    ),
    "kpis.formula.new_customers": (
        "Customers whose first order is dated in the period.",
        "首笔订单日期在本期间内的客户数。",
    ),
    "kpis.formula.churned_customers": (
        "Customers moved to churned in the period (stage history).",
        "本期间内转为流失阶段的客户数（依据阶段历史）。",
    ),
    "kpis.formula.churn_rate": (
        "Customers churned in the period ÷ customers signed at the period's start.",
        "本期间流失客户数 ÷ 期初已签约客户数。",
    ),
    "kpis.formula.conversion_rate": (
        "Customers moved from potential or intent to signed in the period ÷ customers in potential or intent at any "
        "moment of the period (at its start, or created or moved there in it).",
        "本期间由潜在或意向转为签约的客户数 ÷ 本期间内任一时刻处于潜在或意向阶段的客户数（期初已处于，或期间内新建、转入）。",
    ),
    "kpis.formula.median_days_to_sign": (
        "Median of the whole days (rounded down) from a customer's creation (entering potential) to its first move "
        "to signed in the period, over the customers converted in the period.",
        "本期间转化客户从建档（进入潜在阶段）到首次转为签约所经过的整天数（不足一天的部分不计）的中位数。",
    ),
    "kpis.formula.revenue": ("Sum of the orders dated in the period.", "本期间内订单金额合计。"),
    "kpis.formula.revenue_top20_share": (
        "Revenue of the top 20% of the period's buying customers (rounded up, largest first) ÷ their revenue.",
        "本期间有订单的客户中收入最高的前 20%（向上取整）的收入 ÷ 这些有订单客户的总收入。",
    ),
    "kpis.formula.customers_making_80": (
        "The fewest customers whose revenue in the period adds up to 80% of it, largest first (out of the buying "
        "customers).",
        "按收入从高到低累计达到本期间总收入 80% 所需的最少客户数（占有订单客户的比例）。",
    ),
    "kpis.formula.cadence_compliance": (
        "Customers with an owner, not churned, whose last contact at the period's end (or now) is within their "
        "class's contact cadence ÷ those customers (the follow-up team view's compliance).",
        "期末（或当前）有负责人且未流失的客户中，最近一次联系在其类别跟进周期内的客户数 ÷ 这些客户数（与跟进团队视图的达标率一致）。",
    ),
    "kpis.formula.overdue_follow_ups": (
        "Planned follow-ups of these customers that were open and past their due time at the period's end (or now).",
        "期末（或当前）仍未完成且已过期的计划跟进数。",
    ),
    "kpis.formula.complaints_received": ("Complaints received in the period.", "本期间收到的投诉数。"),
    "kpis.formula.resolution_rate": (
        "Complaints received in the period and closed with the customer satisfied ÷ complaints received.",
        "本期间收到并经客户确认满意后关闭的投诉数 ÷ 收到的投诉数。",
    ),
    "kpis.formula.on_time_rate": (
        "Complaints resolved by their resolve deadline ÷ complaints resolved (of those received in the period).",
        "在解决时限内解决的投诉数 ÷ 已解决的投诉数（本期间收到的投诉）。",
    ),
    "kpis.formula.reopen_rate": (
        "Complaints reopened at least once ÷ complaints resolved at least once (received in the period).",
        "至少重开一次的投诉数 ÷ 至少解决过一次的投诉数（本期间收到的投诉）。",
    ),
    "kpis.formula.median_hours_to_resolve": (
        "Median hours from receipt to resolution, time waiting for the customer excluded (received in the period).",
        "从收到到解决所用小时数的中位数，不含等待客户的时间（本期间收到的投诉）。",
    ),
    "kpis.formula.suggestion_adoption_rate": (
        "Suggestions adopted fully or partly ÷ suggestions evaluated (received in the period).",
        "全部或部分采纳的建议数 ÷ 已评估的建议数（本期间收到的建议）。",
    ),
    "kpis.formula.csat": (
        "Mean overall score (1–5) of the survey responses recorded in the period.",
        "本期间调查结果总体评分（1–5 分）的平均值。",
    ),
    "kpis.formula.nps": (
        "% promoters (9–10) − % detractors (0–6) over the period's responses with a recommendation score, with its "
        "95% interval.",
        "本期间有推荐意愿评分的调查中，推荐者（9–10 分）占比 − 贬损者（0–6 分）占比，并给出 95% 区间。",
    ),
    "kpis.formula.survey_responses": ("Survey responses recorded in the period.", "本期间记录的调查份数。"),
    "kpis.formula.recovery_rate": (
        "Alerted customers whose next response is NPS 7+ or overall 4+ ÷ alerted customers with a later response.",
        "预警客户中下一次评分达到 NPS 7 分及以上或总体 4 分及以上的 ÷ 预警后有再次作答的预警客户。",
    ),
    # status against the target
    "kpis.status.green": ("On target", "达标"),
    "kpis.status.amber": ("Within 10% of the target", "接近目标（差距 10% 以内）"),
    "kpis.status.red": ("Off target", "未达标"),
    "kpis.target": ("Target", "目标"),
    "kpis.frozen": ("frozen at month end", "月末冻结值"),
    "kpis.live": ("live", "实时值"),
    "kpis.small_sample": ("Small sample", "样本较少"),
    # breakdowns and drill-down columns
    "kpis.stage.potential": ("Potential", "潜在"),
    "kpis.stage.intent": ("Intent", "意向"),
    "kpis.stage.signed": ("Signed", "签约"),
    "kpis.stage.churned": ("Churned", "流失"),
    "kpis.tier.none": ("Not rated", "未评级"),
    "kpis.col.code": ("Code", "编号"),
    "kpis.col.name": ("Name", "名称"),
    "kpis.col.owner": ("Owner", "负责人"),
    "kpis.col.stage": ("Stage", "阶段"),
    "kpis.col.tier": ("Value tier", "价值等级"),
    "kpis.col.revenue": ("Revenue", "收入"),
    "kpis.col.orders": ("Orders", "订单数"),
    "kpis.col.date": ("Date", "日期"),
    "kpis.col.last_contact": ("Last contact", "最近联系"),
    "kpis.col.in_cadence": ("In cadence", "在周期内"),
    "kpis.col.due": ("Due", "到期"),
    "kpis.col.status": ("Status", "状态"),
    "kpis.col.category": ("Category", "类别"),
    "kpis.col.severity": ("Severity", "严重程度"),
    "kpis.col.days": ("Days", "天数"),
    # command line
    "kpis.cli.period": ("Period", "期间"),
    "kpis.cli.filters": ("Filters", "筛选"),
    "kpis.cli.value": ("Value", "数值"),
    "kpis.cli.numerator": ("Numerator", "分子"),
    "kpis.cli.denominator": ("Denominator", "分母"),
    "kpis.cli.frozen": ("Froze {count} month(s): {months}", "已冻结 {count} 个月：{months}"),
    "kpis.cli.nothing_to_freeze": ("Every ended month is already frozen.", "所有已结束的月份均已冻结。"),
    "kpis.cli.windows": (
        "Revenue windows: {made} made for the usual periods, {deleted} old ones deleted.",
        "收入窗口：为常用期间新建 {made} 个，删除旧窗口 {deleted} 个。",
    ),
    "kpis.cli.statistics": (
        "Query planner statistics of the dashboard's tables refreshed.",
        "已刷新仪表板所用表的查询优化统计信息。",
    ),
    "kpis.cli.target_set": ("Target of {kpi} for {period}: {value}", "{kpi} 在 {period} 的目标：{value}"),
    "kpis.cli.no_user": ("No user named {name}.", "没有名为 {name} 的用户。"),
    "kpis.cli.no_department": ("No department named {name}.", "没有名为 {name} 的部门。"),
}
