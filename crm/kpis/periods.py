"""The periods the KPIs are computed for: a month, a quarter, a year, the last 12 months or custom dates.

A period is a range of company-local days, both ends included. `Period.parse(text)` reads what `key()` writes,
the form kept in the dashboard's URL: "2026-11", "2026-Q4", "2026", "last12", "2026-01-01..2026-03-31".
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from crm.platform.errors import ValidationError
from crm.platform.i18n import format_date, t

PeriodKind = Literal["month", "quarter", "year", "last_12_months", "custom"]
KINDS: tuple[str, ...] = ("month", "quarter", "year", "last_12_months", "custom")
LAST_12 = "last12"

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


def month_start(day: dt.date) -> dt.date:
    """The first day of the day's month."""
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after the day's month (negative: before)."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(day: dt.date) -> dt.date:
    """The last day of the day's month."""
    return add_months(day, 1) - dt.timedelta(days=1)


def period_error() -> ValidationError:
    """The error for a period that cannot be read (the field is "period")."""
    return ValidationError({"period": ("kpis.error.period", {})})


@dataclass(frozen=True)
class Period:
    """A range of company-local days, start and end included."""

    kind: PeriodKind
    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise period_error()

    # --- constructors -------------------------------------------------------------------------------
    @classmethod
    def month(cls, year: int, month: int) -> Period:
        """The calendar month."""
        try:
            start = dt.date(year, month, 1)
        except ValueError as error:
            raise period_error() from error
        return cls("month", start, month_end(start))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        """The calendar quarter (1 to 4)."""
        if quarter not in (1, 2, 3, 4):
            raise period_error()
        start = dt.date(year, 3 * quarter - 2, 1)
        return cls("quarter", start, add_months(start, 3) - dt.timedelta(days=1))

    @classmethod
    def year(cls, year: int) -> Period:
        """The calendar year."""
        return cls("year", dt.date(year, 1, 1), dt.date(year, 12, 31))

    @classmethod
    def last_12_months(cls, today: dt.date) -> Period:
        """Today's month and the eleven whole months before it, up to today (so monthly trends align)."""
        return cls("last_12_months", add_months(today, -11), today)

    @classmethod
    def custom(cls, start: dt.date, end: dt.date) -> Period:
        """Any range of days, both ends included."""
        return cls("custom", start, end)

    @classmethod
    def containing_month(cls, day: dt.date) -> Period:
        """The month the day falls in."""
        return cls.month(day.year, day.month)

    # --- arithmetic ---------------------------------------------------------------------------------
    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same kind and length just before this one (the last 12 months: a year earlier)."""
        if self.kind == "month":
            before = add_months(self.start, -1)
            return Period.month(before.year, before.month)
        if self.kind == "quarter":
            before = add_months(self.start, -3)
            return Period.quarter(before.year, (before.month - 1) // 3 + 1)
        if self.kind == "year":
            return Period.year(self.start.year - 1)
        if self.kind == "last_12_months":
            end = _years_before(self.end, 1)
            return Period("last_12_months", add_months(end, -11), end)
        return Period.custom(self.start - dt.timedelta(days=self.days), self.start - dt.timedelta(days=1))

    def months(self) -> list[dt.date]:
        """The first day of every month the period touches, in order."""
        months, month = [], month_start(self.start)
        while month <= self.end:
            months.append(month)
            month = add_months(month, 1)
        return months

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end

    # --- text ---------------------------------------------------------------------------------------
    def key(self) -> str:
        """The period as the URL keeps it; `Period.parse(p.key()) == p` (the last 12 months: for the same today)."""
        if self.kind == "month":
            return f"{self.start.year:04d}-{self.start.month:02d}"
        if self.kind == "quarter":
            return f"{self.start.year:04d}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return f"{self.start.year:04d}"
        if self.kind == "last_12_months":
            return LAST_12
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @classmethod
    def parse(cls, text: str, *, today: dt.date | None = None) -> Period:
        """Read "2026-11", "2026-Q4", "2026", "last12" (needs today) or "2026-01-01..2026-03-31".

        Raises ValidationError on the field "period" for anything else.
        """
        text = (text or "").strip()
        if match := _MONTH.match(text):
            return cls.month(int(match[1]), int(match[2]))
        if match := _QUARTER.match(text):
            return cls.quarter(int(match[1]), int(match[2]))
        if match := _YEAR.match(text):
            return cls.year(int(match[1]))
        if text.lower() == LAST_12:
            if today is None:
                raise period_error()
            return cls.last_12_months(today)
        if match := _RANGE.match(text):
            try:
                start, end = dt.date.fromisoformat(match[1]), dt.date.fromisoformat(match[2])
            except ValueError as error:
                raise period_error() from error
            return cls.custom(start, end)
        raise period_error()

    def label(self, lang: str) -> str:
        """The period in words: "Nov 2026" / "2026年11月", "Q4 2026" / "2026年第4季度", ..."""
        if self.kind == "month":
            month = self.start.month
            return t("kpis.period.month", lang, year=self.start.year, month=month, name=t(f"kpis.month.{month}", lang))
        if self.kind == "quarter":
            return t("kpis.period.quarter", lang, year=self.start.year, quarter=(self.start.month - 1) // 3 + 1)
        if self.kind == "year":
            return t("kpis.period.year", lang, year=self.start.year)
        if self.kind == "last_12_months":
            return t("kpis.period.last_12_months", lang)
        return t("kpis.period.custom", lang, start=format_date(self.start, lang), end=format_date(self.end, lang))


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
