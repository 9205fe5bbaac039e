"""`python -m crm satisfaction record | alerts`: record a survey response, list the open alerts."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import TYPE_CHECKING

from crm.platform.i18n import format_datetime, t

if TYPE_CHECKING:
    from crm.platform.permissions import Actor
    from db.engine import Sessions


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the satisfaction commands."""
    from crm.satisfaction.vocab import CHANNELS

    parser = subparsers.add_parser("satisfaction", help="survey responses and their alerts")
    commands = parser.add_subparsers(dest="satisfaction_command", required=True)

    record = commands.add_parser("record", help="record a customer's survey response; prints its id and any alert")
    record.add_argument("--customer", required=True, help="customer code")
    record.add_argument("--date", type=dt.date.fromisoformat, required=True, help="YYYY-MM-DD, the day it was given")
    record.add_argument("--channel", choices=CHANNELS, required=True)
    record.add_argument("--overall", type=int, help="overall satisfaction, 1-5")
    record.add_argument("--nps", type=int, help="likelihood to recommend, 0-10")
    record.add_argument(
        "--score", action="append", default=[], metavar="DIMENSION=N", help="a dimension's score 1-5 (repeatable)"
    )
    record.add_argument("--comment")
    record.add_argument("--template", type=int, help="template id (default: the first template in force)")
    record.add_argument("--complaint", help="the reference of the closed complaint this response checks")
    record.add_argument("--as", dest="username", help="record as this user (default: the system, as admin)")
    record.add_argument("--lang", choices=("en", "zh"), default="en")
    record.set_defaults(func=_cmd_record)

    alerts = commands.add_parser("alerts", help="list the open alerts, longest waiting first")
    alerts.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    alerts.add_argument("--as", dest="username", help="as this user (staff see their own customers')")
    alerts.add_argument("--limit", type=int, default=100)
    alerts.add_argument("--lang", choices=("en", "zh"), default="en")
    alerts.set_defaults(func=_cmd_alerts)


def _actor(sessions: Sessions, username: str | None, lang: str) -> Actor:
    from crm.platform.permissions import SYSTEM
    from crm.platform.users import get_user

    if not username:
        return SYSTEM
    user = get_user(sessions, username=username)
    if user is None:
        raise SystemExit(t("satisfaction.cli.no_user", lang, name=username))
    return user.as_actor()


def _scores(pairs: list[str]) -> dict[str, int | None]:
    scores: dict[str, int | None] = {}
    for pair in pairs:
        code, _, value = pair.partition("=")
        try:
            scores[code.strip()] = int(value)
        except ValueError:
            raise SystemExit(f"--score {pair!r}: expected DIMENSION=N") from None
    return scores


def _cmd_record(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from crm.platform.clock import company_zone_name
    from crm.platform.uow import open_sessions
    from crm.satisfaction.responses import ResponseInput, alert_task, record_response
    from crm.satisfaction.templates import default_template
    from db.models import Complaint, Customer, SurveyResponse

    lang = args.lang
    sessions = open_sessions()
    actor = _actor(sessions, args.username, lang)
    with sessions.read() as session:
        customer_id = session.scalar(select(Customer.id).where(Customer.code == args.customer))
        if customer_id is None:
            raise SystemExit(t("satisfaction.cli.no_customer", lang, code=args.customer))
        template_id = args.template
        if template_id is None:
            template = default_template(session)
            if template is None:
                raise SystemExit(t("satisfaction.cli.no_template", lang))
            template_id = template.id
        complaint_id = None
        if args.complaint:
            complaint_id = session.scalar(select(Complaint.id).where(Complaint.code == args.complaint)) or -1
    data = ResponseInput(
        customer_id=customer_id,
        responded_on=args.date,
        channel=args.channel,
        template_id=template_id,
        scores=_scores(args.score),
        overall=args.overall,
        nps=args.nps,
        comment=args.comment,
        complaint_id=complaint_id,
    )
    response_id = record_response(sessions, actor=actor, data=data)
    print(t("satisfaction.cli.recorded", lang, id=response_id))
    with sessions.read() as session:
        alert = session.scalar(select(SurveyResponse.alert).where(SurveyResponse.id == response_id))
        task = alert_task(session, response_id, customer_id) if alert else None
    if alert and task is not None and task.status == "open":
        due = format_datetime(task.due_at, lang, company_zone_name(sessions))
        print(t("satisfaction.cli.alert_task", lang, task=task.id, owner=task.owner_name or "-", due=due))
    elif alert:
        print(t("satisfaction.cli.alert_no_task", lang))
    return 0


def _cmd_alerts(args: argparse.Namespace) -> int:
    from crm.platform.clock import company_zone_name
    from crm.platform.uow import open_sessions
    from crm.satisfaction.alerts import open_alerts

    lang = args.lang
    sessions = open_sessions()
    actor = _actor(sessions, args.username, lang)
    rows, total = open_alerts(sessions, actor=actor, page=0, page_size=args.limit)
    if args.json:
        for row in rows:
            print(
                json.dumps(
                    {
                        "response_id": row.response_id,
                        "responded_at": row.responded_at.isoformat(),
                        "customer": row.customer_code,
                        "customer_name": row.customer_name,
                        "owner": row.owner_name,
                        "overall": row.overall,
                        "nps": row.nps,
                        "task_id": row.task.id if row.task else None,
                        "task_status": row.task.status if row.task else None,
                    },
                    ensure_ascii=False,
                )
            )
        return 0
    zone = company_zone_name(sessions)
    print(t("satisfaction.cli.alerts_header", lang, total=f"{total:,}"))
    none = t("common.none", lang)
    for row in rows:
        task = f"#{row.task.id} {t(f'task_status.{row.task.status}', lang)}" if row.task else none
        print(
            f"  {format_datetime(row.responded_at, lang, zone):<20} {row.customer_code:<12} "
            f"{'' if row.overall is None else row.overall:>3} {'' if row.nps is None else row.nps:>3}  "
            f"{(row.owner_name or none)[:20]:<20} {task:<16} {row.customer_name[:40]}"
        )
    return 0
