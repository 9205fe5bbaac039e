"""Command line: `python -m crm db upgrade | users ... | demo ...`."""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from collections.abc import Sequence

from crm.platform.errors import CrmError, ValidationError
from crm.platform.i18n import t
from crm.platform.permissions import ROLES, SYSTEM
from crm.platform.uow import open_sessions
from db.engine import Sessions, UnsupportedCharset, make_engine, masked_url, upgrade_database


def _read_password(prompt: str = "Password: ") -> str:
    if sys.stdin.isatty():
        first = getpass.getpass(prompt)
        if getpass.getpass("Repeat: ") != first:
            raise SystemExit(t("first_run.passwords_differ"))
        return first
    return sys.stdin.readline().rstrip("\n")


def _cmd_db_upgrade(_args: argparse.Namespace) -> int:
    engine = make_engine()
    upgrade_database(engine)
    print(f"Database at {masked_url(str(engine.url.render_as_string(hide_password=False)))} is at the latest schema.")
    return 0


def _cmd_db_revision(args: argparse.Namespace) -> int:
    from alembic import command

    from db.engine import alembic_config, database_url

    engine = make_engine()
    upgrade_database(engine)
    command.revision(alembic_config(database_url()), message=args.message, autogenerate=True)
    return 0


def _cmd_users_add(args: argparse.Namespace) -> int:
    from crm.platform.users import create_user

    sessions = open_sessions()
    user = create_user(
        sessions,
        actor=SYSTEM,
        username=args.name,
        display_name=args.display_name or args.name,
        password=_read_password(),
        role=args.role,
        email=args.email,
        language=args.language,
    )
    print(f"created {user.username} ({user.role})")
    return 0


def _cmd_users_list(_args: argparse.Namespace) -> int:
    from crm.platform.users import list_users

    users = list_users(open_sessions(), actor=SYSTEM)
    print(f"{'username':<20} {'role':<8} {'active':<6} {'language':<8} name")
    for u in users:
        print(f"{u.username:<20} {u.role:<8} {'yes' if u.is_active else 'no':<6} {u.language:<8} {u.display_name}")
    return 0


def _find_user_id(sessions: Sessions, name: str) -> int:
    from crm.platform.users import get_user

    user = get_user(sessions, username=name)
    if user is None:
        raise SystemExit(f"no such user: {name}")
    return user.id


def _cmd_users_set_role(args: argparse.Namespace) -> int:
    from crm.platform.users import set_role

    sessions = open_sessions()
    user = set_role(sessions, actor=SYSTEM, user_id=_find_user_id(sessions, args.name), role=args.role)
    print(f"{user.username} is now {user.role}")
    return 0


def _cmd_users_deactivate(args: argparse.Namespace) -> int:
    from crm.platform.users import set_active

    sessions = open_sessions()
    user = set_active(sessions, actor=SYSTEM, user_id=_find_user_id(sessions, args.name), active=False)
    print(f"{user.username} deactivated")
    return 0


def _cmd_users_activate(args: argparse.Namespace) -> int:
    from crm.platform.users import set_active

    sessions = open_sessions()
    user = set_active(sessions, actor=SYSTEM, user_id=_find_user_id(sessions, args.name), active=True)
    print(f"{user.username} reactivated")
    return 0


def _cmd_users_password(args: argparse.Namespace) -> int:
    from crm.platform.users import reset_password

    sessions = open_sessions()
    reset_password(sessions, actor=SYSTEM, user_id=_find_user_id(sessions, args.name), new_password=_read_password())
    print(f"password of {args.name} changed")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from crm.demo import DEMO_ACCOUNTS, load_demo

    sessions = open_sessions()
    started = time.perf_counter()
    summary = load_demo(
        sessions, customers=args.customers, seed=args.seed, reset=args.reset, delete_everything=args.delete_everything
    )
    elapsed = time.perf_counter() - started
    for table, count in summary.items():
        print(f"{table:<20} {count:>10,}")
    print(f"demo data loaded in {elapsed:.1f} s; accounts:")
    for account in DEMO_ACCOUNTS:
        print(f"  {account.username:<10} {account.password:<16} {account.role}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m crm", description="Customer-management dashboard tools.")
    commands = parser.add_subparsers(dest="command", required=True)

    db = commands.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply all migrations").set_defaults(func=_cmd_db_upgrade)
    revision = db.add_parser("revision", help="write a new migration from the difference between models and database")
    revision.add_argument("-m", "--message", required=True)
    revision.set_defaults(func=_cmd_db_revision)

    users = commands.add_parser("users", help="accounts").add_subparsers(dest="users_command", required=True)
    add = users.add_parser("add", help="create an account (password from stdin or prompted)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--display-name")
    add.add_argument("--email")
    add.add_argument("--language", default="en", choices=("en", "zh"))
    add.set_defaults(func=_cmd_users_add)
    users.add_parser("list", help="list accounts").set_defaults(func=_cmd_users_list)
    set_role = users.add_parser("set-role", help="change an account's role")
    set_role.add_argument("name")
    set_role.add_argument("role", choices=ROLES)
    set_role.set_defaults(func=_cmd_users_set_role)
    for name, func, text in (
        ("deactivate", _cmd_users_deactivate, "deactivate an account"),
        ("activate", _cmd_users_activate, "reactivate an account"),
        ("set-password", _cmd_users_password, "set a password (stdin or prompted)"),
    ):
        sub = users.add_parser(name, help=text)
        sub.add_argument("name")
        sub.set_defaults(func=func)

    demo = commands.add_parser("demo", help="fill the database with demo data and demo accounts")
    demo.add_argument("--customers", type=int, default=2000)
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument(
        "--reset", action="store_true", help="replace earlier demo data (refused when the database holds anything else)"
    )
    demo.add_argument(
        "--delete-everything",
        action="store_true",
        help="delete everything in the database first, real data included, and load the demo",
    )
    demo.set_defaults(func=_cmd_demo)
    _register_feature_commands(commands)
    from crm.kpis.report_commands import register_report  # `kpi report` joins the kpi group of crm/kpis/commands.py

    register_report(commands)
    return parser


def _register_feature_commands(commands: argparse._SubParsersAction) -> None:
    import importlib
    import importlib.util
    import pkgutil

    import crm

    for package in sorted(pkgutil.iter_modules(crm.__path__), key=lambda m: m.name):
        if package.ispkg and importlib.util.find_spec(f"crm.{package.name}.commands") is not None:
            importlib.import_module(f"crm.{package.name}.commands").register(commands)
    # `satisfaction import` and `satisfaction campaign`, added to the command crm/satisfaction/commands.py makes.
    importlib.import_module("crm.satisfaction.import_commands").register(commands)
    importlib.import_module("crm.satisfaction.figures_commands").register(commands)  # `satisfaction figures`


def _describe(error: CrmError) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(f"{field}: {t(key, 'en', **params)}" for field, (key, params) in error.fields.items())
    return t(error.key, "en", **error.params)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except CrmError as error:
        print(f"error: {_describe(error)}", file=sys.stderr)
        return 2
    except UnsupportedCharset as error:
        print(f"error: {t('app.db_charset_body', 'en', charset=error.charset)}", file=sys.stderr)
        return 2
