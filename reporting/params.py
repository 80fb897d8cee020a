"""What every report takes: a period in the installation's time zone, filters, and as-of."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from leadflow.locale import local_midnight

# The days a report may name. Well inside date.min and date.max, so that a report's arithmetic
# (three years back, the trailing weeks, the day after as-of, local midnight in any time zone)
# cannot overflow: a day outside is refused as bad input.
FIRST_DAY = datetime.date(1900, 1, 1)
LAST_DAY = datetime.date(2999, 12, 31)
# The days above, written out (a literal, so it can be translated).
DAY_OUT_OF_RANGE = gettext_noop("Give a day from 1900-01-01 to 2999-12-31.")


def report_day_validate(value: datetime.date | datetime.datetime) -> None:
    """A validator for report dates and moments: Django's ValidationError outside the range."""
    day = value.date() if isinstance(value, datetime.datetime) else value
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationError(_(DAY_OUT_OF_RANGE), code="out_of_range")


def week_start(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


@dataclass(frozen=True)
class ReportQuery:
    """A report's question: `start` to `end` (dates, end exclusive), local time; filters; as-of.

    `as_of` rebuilds the report as it stood then: only history recorded by that moment counts,
    so last quarter's figures do not move when a lead changes today.
    """

    start: datetime.date
    end: datetime.date
    as_of: datetime.datetime | None = None
    campaign: int | None = None
    source: str | None = None
    team: str | None = None
    owner: str | None = None
    country: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def start_at(self) -> datetime.datetime:
        return local_midnight(self.start)

    @property
    def end_at(self) -> datetime.datetime:
        return local_midnight(self.end)

    @property
    def now(self) -> datetime.datetime:
        """The moment the report looks from: as-of, or now."""
        return self.as_of or timezone.now()

    def lead_filters(self, prefix: str = "") -> dict:
        """The leads a report counts, as ORM lookups through `prefix` (e.g. "lead__"): not merged
        away (a merged duplicate counts through its survivor), and passing the lead filters."""
        lookups = {f"{prefix}merged_into__isnull": True}
        if self.campaign is not None:
            lookups[f"{prefix}campaign_id"] = self.campaign
        if self.source:
            lookups[f"{prefix}source__iexact"] = self.source
        if self.country:
            lookups[f"{prefix}country"] = self.country.upper()
        return lookups

    def person_filters(self, prefix: str) -> dict:
        """`team` and `owner` as lookups on the person a report answers for, through `prefix`
        (the offer's "assignee__", the move's "actor__")."""
        lookups = {}
        if self.team:
            lookups[f"{prefix}team__key"] = self.team
        if self.owner:
            lookups[f"{prefix}username"] = self.owner
        return lookups
