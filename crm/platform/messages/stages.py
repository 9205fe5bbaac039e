"""Messages of the lifecycle stage rules."""

MESSAGES: dict[str, tuple[str, str]] = {
    "stages.not_allowed": (
        "A customer cannot move from {current} to {target}.",
        "客户不能从「{current}」转到「{target}」。",
    ),
    "stages.churn_reason_required": ("Give the churn reason.", "请填写流失原因。"),
}
