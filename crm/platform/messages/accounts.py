"""Messages of the password rules and of a user's own account (changing one's password)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "validation.password_common": (
        "This is one of the most common passwords, which are tried first: choose another.",
        "这是最常见的密码之一，会被最先尝试：请换一个。",
    ),
    "validation.password_username": (
        "The password must not be the username (nor the username backwards).",
        "密码不能与用户名相同（也不能是用户名倒写）。",
    ),
    "validation.password_wrong": ("This is not your current password.", "当前密码不正确。"),
    "validation.passwords_differ": ("The two new passwords differ.", "两次输入的新密码不一致。"),
    "account.password_rules": (
        "At least 10 characters; not the username; not a common password.",
        "至少 10 个字符；不能是用户名；不能是常见密码。",
    ),
    "account.title": ("My account", "我的账户"),
    "account.change_password": ("Change my password", "修改我的密码"),
    "account.current_password": ("Current password", "当前密码"),
    "account.new_password": ("New password", "新密码"),
    "account.repeat_password": ("Repeat the new password", "再次输入新密码"),
    "account.password_changed": (
        "Password changed. Your other sessions and re-login cookies are signed out; this one goes on.",
        "密码已修改。您的其他会话和自动登录 Cookie 已失效；当前会话继续有效。",
    ),
}
