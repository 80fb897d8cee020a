"""The marketer's dashboard, built from the report functions: it computes no figure itself.

For a period and filters (campaign, source, team, country): the funnel (period entries, or the
cohort followed up to now), each handoff's acceptance against its target with the 8-week trend,
the funnel by campaign and by source, recent alerts, the black hole and the hidden gems. Every
count carries the link to the leads list (`/leads/`, the query-string contract of the leads
list) that selects exactly the leads behind it; where a report counts rows that are not leads
(period entries, offers), the distinct-lead count comes with the report's figures
(`funnel_by_lead_fields`, `handoff_report(leads=True)`) and is the number linked.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from funnel.models import Campaign, HandoffPair, StageKind, Team
from funnel.selectors import targets_by_day
from leadflow.audit import audit_last_change
from leadflow.locale import local_tz
from reporting.alerts import TREND_WEEKS, percent, ratio_alert_list, ratio_alert_text
from reporting.models import RatioWatch
from reporting.params import FIRST_DAY, ReportQuery, report_day_validate, week_start
from reporting.selectors.black_hole import black_hole_report
from reporting.selectors.funnel import funnel_by_lead_fields, main_path
from reporting.selectors.handoffs import handoff_report
from reporting.selectors.reasons import hidden_gems_report

MAX_SPAN = datetime.timedelta(days=3 * 366)  # as the reporting API
GEMS_LISTED = 5
ALERTS_LISTED = 10
ALERT_WEEKS = 4  # alerts of the weeks the last 4 weeks touch are "open": still worth a look

PERIODS = {
    "4w": _("Last 4 weeks"),
    "13w": _("Last 13 weeks"),
    "26w": _("Last 26 weeks"),
    "quarter": _("This quarter"),
    "custom": _("Custom"),
}
MODES = {
    "period": _("Period: entries in the period"),
    "cohort": _("Cohort: leads that entered in the period"),
}
OUTCOMES = {
    "offered": _("Offered"),
    "accepted": _("Accepted"),
    "rejected": _("Rejected"),
    "expired": _("Expired"),
    "withdrawn": _("Withdrawn"),
    "pending": _("Pending"),
}
# The by-campaign and by-source tables sort by one of their columns, descending with "-".
SORTS = ("name", "first", "mql", "won", "conversion", "revenue")

NO_TEAM_LINKS = _(
    "With a team filter, handoff figures count offers by the team they went to, which the leads "
    "list cannot select: their numbers are not linked."
)


def local_today() -> datetime.date:
    return timezone.localtime(timezone.now(), local_tz()).date()


# --- the question ---------------------------------------------------------------------------


class DashboardForm(forms.Form):
    """The dashboard's period and filters, from the query string; every field optional."""

    period = forms.ChoiceField(
        label=_("Period"), choices=list(PERIODS.items()), required=False, initial="4w"
    )
    date_from = forms.DateField(
        label=_("From"), required=False, validators=[report_day_validate],
        widget=forms.DateInput(attrs={"type": "date"}),
    )  # fmt: skip
    date_to = forms.DateField(
        label=_("To (included)"), required=False, validators=[report_day_validate],
        widget=forms.DateInput(attrs={"type": "date"}),
    )  # fmt: skip
    mode = forms.ChoiceField(
        label=_("View"), choices=list(MODES.items()), required=False, initial="period"
    )
    campaign = forms.ModelChoiceField(
        label=_("Campaign"), queryset=Campaign.objects.order_by("name"), required=False,
        empty_label=_("All campaigns"),
    )  # fmt: skip
    source = forms.CharField(label=_("Source"), max_length=100, required=False)
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.order_by("name"), to_field_name="key",
        required=False, empty_label=_("All teams"),
    )  # fmt: skip
    country = forms.CharField(label=_("Country"), min_length=2, max_length=2, required=False)
    sort = forms.ChoiceField(
        choices=[(s, s) for key in SORTS for s in (key, f"-{key}")], required=False
    )

    def clean_country(self) -> str:
        country = self.cleaned_data["country"].strip()
        if country and not country.isalpha():
            raise forms.ValidationError(_("Give a two-letter country code (ISO 3166), like DE."))
        return country.upper()

    def clean_source(self) -> str:
        return self.cleaned_data["source"].strip()

    def clean(self):
        data = super().clean()
        if "period" not in data:  # an unknown period: its error says so
            return data
        data["period"] = data.get("period") or "4w"
        data["mode"] = data.get("mode") or "period"
        data["sort"] = data.get("sort") or "-revenue"
        if data["period"] == "custom":
            start, last = data.get("date_from"), data.get("date_to")
            if start is None and "date_from" not in self.errors:
                self.add_error("date_from", _("Give the first day of a custom period."))
            if last is None and "date_to" not in self.errors:
                self.add_error("date_to", _("Give the last day of a custom period."))
            if start and last:
                if last < start:
                    self.add_error("date_to", _("The last day cannot be before the first."))
                elif last + datetime.timedelta(days=1) - start > MAX_SPAN:
                    self.add_error("date_to", _("A period covers at most three years."))
        return data


def period_dates(period: str, *, today: datetime.date, date_from=None, date_to=None):
    """The period's first day and the day after its last (end exclusive, as reports take them).

    The last N weeks end with today, so today's moves count; a quarter is the calendar
    quarter so far.
    """
    end = today + datetime.timedelta(days=1)
    if period == "custom":
        return date_from, date_to + datetime.timedelta(days=1)
    if period == "quarter":
        return datetime.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), end
    weeks = int(period.removesuffix("w"))
    return end - datetime.timedelta(weeks=weeks), end


@dataclass(frozen=True)
class DashboardQuestion:
    query: ReportQuery
    mode: str
    sort: str
    period: str


def dashboard_question(data: dict, *, today: datetime.date | None = None) -> DashboardQuestion:
    """The report query for a valid form's cleaned data."""
    today = today or local_today()
    start, end = period_dates(
        data["period"], today=today, date_from=data.get("date_from"), date_to=data.get("date_to")
    )
    campaign, team = data.get("campaign"), data.get("team")
    query = ReportQuery(
        start=start,
        end=end,
        campaign=campaign.pk if campaign else None,
        source=data.get("source") or None,
        team=team.key if team else None,
        country=data.get("country") or None,
    )
    return DashboardQuestion(
        query=query, mode=data["mode"], sort=data["sort"], period=data["period"]
    )


# --- links to the leads behind a number -------------------------------------------------------


def leads_list_url() -> str:
    try:
        return reverse("handoff:lead-list")
    except NoReverseMatch:  # the leads list is another part of the issue; its address is fixed
        return "/leads/"


class Links:
    """The leads list's query strings for the dashboard's numbers (see the leads contract)."""

    def __init__(self, query: ReportQuery):
        self.query = query
        self.base = leads_list_url()

    def _url(self, params: dict) -> str:
        return (
            f"{self.base}?{urlencode([(k, v) for k, v in params.items() if v not in (None, '')])}"
        )

    def lead_filters(self, **overrides) -> dict:
        """The dashboard's filters as the funnel applies them: the lead's own campaign, source
        and country, and the team of the lead's holder."""
        q = self.query
        return {
            "campaign": q.campaign, "source": q.source, "country": q.country,
            "holder_team": q.team, **overrides,
        }  # fmt: skip

    def window(self, name: str, start: datetime.date, end: datetime.date) -> dict:
        return {f"{name}_after": start.isoformat(), f"{name}_before": end.isoformat()}

    def entered(self, stage: str, **overrides) -> str:
        """Leads that entered `stage` in the period."""
        q = self.query
        return self._url({**self.lead_filters(**overrides), "entered": stage,
                          **self.window("entered", q.start, q.end)})  # fmt: skip

    def cohort(self, stage: str | None = None, **overrides) -> str:
        """The cohort's leads (that entered `stage`, ever)."""
        q = self.query
        return self._url({**self.lead_filters(**overrides), "entered": stage,
                          **self.window("cohort", q.start, q.end)})  # fmt: skip

    def won(self, mode: str, **overrides) -> str:
        """The leads behind the revenue: won in the period, or the cohort's won ever."""
        q = self.query
        if mode == "cohort":
            params = {**self.window("cohort", q.start, q.end), "won_after": FIRST_DAY.isoformat()}
        else:
            params = self.window("won", q.start, q.end)
        return self._url({**self.lead_filters(**overrides), **params})

    def offered(self, handoff: str, decision: str | None = None, *, start=None, end=None):
        """Leads offered through `handoff` in the window (the period), with that outcome; None
        where the leads list cannot select what the report counted (a team filter)."""
        q = self.query
        if q.team:
            return None
        params = {
            "campaign": q.campaign, "source": q.source, "country": q.country, "handoff": handoff,
            **self.window("offered", start or q.start, end or q.end), "decision": decision,
        }  # fmt: skip
        return self._url(params)

    def black_hole(self) -> str:
        return self._url({**self.lead_filters(), "black_hole": 1})


# --- the figures ----------------------------------------------------------------------------


def _figure(value, url: str | None) -> dict:
    return {"value": value, "url": url}


def funnel_section(question: DashboardQuestion, path, links: Links, funnel: dict) -> dict:
    """The funnel's stages, each with what it counts and the leads behind it."""
    mode = question.mode
    row, leads = funnel["rows"][0], funnel["leads"]
    stages = []
    for stage, figures in zip(path, row["stages"], strict=True):
        entered = figures["entered"]
        if mode == "period":
            lead_count = leads.get((None, stage.key), 0)
            url = links.entered(stage.key)
        else:
            lead_count, url = entered, links.cohort(stage.key)
        stages.append({
            "key": stage.key, "name": stage.name, "entered": entered,
            "leads": _figure(lead_count, url), "to_next": figures["to_next"],
            "to_won": figures["to_won"], "to_next_text": percent(figures["to_next"]),
            "to_won_text": percent(figures["to_won"]),
        })  # fmt: skip
    for before, after in pairwise(stages):
        before["next_name"] = after["name"]
    return {
        "stages": stages,
        "revenue": _figure(Decimal(row["revenue_won"]), links.won(mode)),
    }


def _group_columns(path) -> list:
    """The stages the by-campaign and by-source tables show: the first of the path, the
    offered stage of the last handoff (MQL by default), and won."""
    first = path[0]
    won = next((s for s in path if s.kind == StageKind.WON), path[-1])
    last_handoff = (
        HandoffPair.objects.filter(offered_stage__in=[s.pk for s in path])
        .order_by("-offered_stage__position", "-id")
        .values_list("offered_stage_id", flat=True)
        .first()
    )
    mql = next((s for s in path if s.pk == last_handoff), None)
    return [first, *([mql] if mql and mql not in (first, won) else []), won]


def groups_section(
    question: DashboardQuestion, path, columns, links: Links, group_by: str, funnel: dict
):
    """The funnel per campaign or per source: leads at each shown stage, the share of the
    first stage's leads won (a conversion in cohort mode; a ratio of entries in period mode),
    and the revenue. Sorted as asked; the group of leads with none comes last, unlinked
    (the leads list selects a campaign or source, not their absence)."""
    mode = question.mode
    rows, leads = funnel["rows"], funnel["leads"]
    names = {}
    if group_by == "campaign":
        ids = {r["group"] for r in rows} - {None}
        names = dict(Campaign.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
    index = {s.key: i for i, s in enumerate(path)}
    out = []
    for row in rows:
        group = row["group"]
        override = {group_by: group}
        cells = []
        for stage in columns:
            figures = row["stages"][index[stage.key]]
            if mode == "period":
                count = leads.get((group, stage.key), 0)
                url = links.entered(stage.key, **override)
            else:
                count, url = figures["entered"], links.cohort(stage.key, **override)
            cells.append(
                {
                    "key": stage.key,
                    "entries": figures["entered"],
                    **_figure(count, url if group is not None else None),
                }
            )
        first_entries = row["stages"][index[columns[0].key]]
        out.append({
            "group": group,
            "name": names.get(group, f"#{group}") if group_by == "campaign" and group is not None
            else group,
            "cells": cells,
            "conversion": first_entries["to_won"],
            "conversion_text": percent(first_entries["to_won"]),
            "revenue": _figure(Decimal(row["revenue_won"]),
                               links.won(mode, **override) if group is not None else None),
        })  # fmt: skip
    return _sorted(out, question.sort)


def _sorted(rows: list[dict], sort: str) -> list[dict]:
    key, descending = sort.lstrip("-"), sort.startswith("-")

    def value(row):
        if key == "name":
            return str(row["name"] or "").casefold()
        if key == "revenue":
            return row["revenue"]["value"]
        if key == "conversion":
            return row["conversion"] if row["conversion"] is not None else -1
        position = {"first": 0, "mql": 1, "won": -1}[key]
        cells = row["cells"]
        return cells[position if position < len(cells) else -1]["value"]

    named = sorted((r for r in rows if r["group"] is not None), key=value, reverse=descending)
    return named + [r for r in rows if r["group"] is None]


def week_targets(weeks: list[datetime.date], *, today: datetime.date) -> dict[int, dict]:
    """Per handoff id, per week (its Monday), the target in force that week: on its last day,
    or today for the week under way (handoff_report's rule for its weekly rows), so a target
    changed today moves this week's line and leaves past weeks where they were."""
    days = {week: min(week + datetime.timedelta(days=6), today) for week in weeks}
    by_day = targets_by_day(days=sorted(set(days.values())))
    return {
        pk: {week: float(targets[day]) for week, day in days.items()}
        for pk, targets in by_day.items()
    }


def handoffs_section(question: DashboardQuestion, links: Links, *, today: datetime.date) -> dict:
    """Each handoff in the period: offers and their leads, acceptance (of decided offers)
    against the target in force at the period's end, and the 8 weeks to the period's end."""
    query = question.query
    last_day = min(query.end - datetime.timedelta(days=1), today)
    last_week = week_start(last_day)
    weeks = [last_week - datetime.timedelta(weeks=n) for n in range(TREND_WEEKS - 1, -1, -1)]
    trend_query = ReportQuery(
        start=weeks[0], end=last_week + datetime.timedelta(weeks=1), campaign=query.campaign,
        source=query.source, team=query.team, country=query.country,
    )  # fmt: skip
    targets = week_targets(weeks, today=today)
    rows = handoff_report(query=query, durations=False, leads=True)  # the page shows no hours
    trend_rows = {
        (r["handoff"], r["week"]): r
        for r in handoff_report(query=trend_query, interval="week", durations=False, leads=True)
    }
    pairs = {p.key: p for p in HandoffPair.objects.all()}
    out = []
    for row in rows:
        key = row["handoff"]
        pair = pairs[key]
        people = row["leads"]
        decided = row["accepted"] + row["rejected"] + row["expired"]
        target = row["target_rate"]  # the report's: in force on the period's last day
        outcome = {}
        for status in OUTCOMES:
            decision = None if status == "offered" else status
            outcome[status] = {
                "status": status,
                "label": OUTCOMES[status],
                "offers": row[status],
                **_figure(people.get(status, 0), links.offered(key, decision)),
            }
        trend = []
        for week in weeks:
            w = trend_rows.get((key, week.isoformat()), {})
            accepted = w.get("accepted", 0)
            week_decided = accepted + w.get("rejected", 0) + w.get("expired", 0)
            end = week + datetime.timedelta(weeks=1)
            trend.append({
                "week": week, "rate": w.get("acceptance_rate"), "decided": week_decided,
                # The report's target for the week; for a week without offers (no row), the
                # same rule: the target in force on its last day, or today.
                "target": w.get("target_rate", targets.get(pair.pk, {}).get(week)),
                "accepted": _figure(
                    w.get("leads", {}).get("accepted", 0),
                    links.offered(key, "accepted", start=week, end=end),
                ),
            })  # fmt: skip
        out.append({
            "key": key, "name": pair.name, "offered_stage": row["offered_stage"],
            "accepted_stage": row["accepted_stage"], "outcome": outcome, "decided": decided,
            "acceptance_rate": row["acceptance_rate"], "target": target,
            "acceptance_rate_text": percent(row["acceptance_rate"]), "target_text": percent(target),
            "outcomes": list(outcome.values()),
            "below_target": row["acceptance_rate"] is not None and row["acceptance_rate"] < target,
            "trend": trend,
        })  # fmt: skip
    return {"handoffs": out, "weeks": weeks, "team_unlinked": bool(query.team)}


def alerts_section(links: Links, *, today: datetime.date) -> list[dict]:
    """The drift alerts of the last weeks, newest first, each with the leads of its week."""
    since = week_start(today) - datetime.timedelta(weeks=ALERT_WEEKS - 1)
    alerts = list(ratio_alert_list().filter(week__gte=since)[:ALERTS_LISTED])
    out = []
    for alert in alerts:
        watch, end = alert.watch, alert.week + datetime.timedelta(weeks=1)
        if watch.kind == RatioWatch.Kind.ACCEPTANCE and watch.handoff_id:
            url = links.offered(watch.handoff.key, start=alert.week, end=end)
        elif watch.from_stage_id:
            url = links._url({**links.lead_filters(), "entered": watch.from_stage.key,
                              **links.window("entered", alert.week, end)})  # fmt: skip
        else:
            url = None
        out.append({"alert": alert, "text": ratio_alert_text(alert), "url": url})
    return out


def dashboard_figures(
    question: DashboardQuestion, *, today: datetime.date | None = None, refresh: bool = False
) -> dict:
    """`dashboard_data`, kept for DASHBOARD_CACHE_SECONDS, and when it was computed (`"at"`).

    A marketer reloads, sorts and follows links far more often than the figures change, and at a
    million leads they take seconds to compute. A configuration change (a target, a stage
    renamed) is seen at once: the key holds the audit trail's last entry. New leads show within
    the cache's time; the page says how old its figures are.
    """
    today = today or local_today()
    asked = repr((question, today, translation.get_language(), audit_last_change()))
    key = "dashboard:" + hashlib.sha256(asked.encode()).hexdigest()
    figures = None if refresh else cache.get(key)
    if figures is None:
        figures = {"data": dashboard_data(question, today=today), "at": timezone.now()}
        cache.set(key, figures, settings.DASHBOARD_CACHE_SECONDS)
    return figures


def dashboard_warm() -> int:
    """Compute the figures a marketer lands on (the default question, in each language) into
    the cache, so the first visit after they expire is not the one that waits. Beat runs it
    more often than they expire; how many were computed."""
    form = DashboardForm({})
    form.is_valid()
    question = dashboard_question(form.cleaned_data)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            dashboard_figures(question, refresh=True)
    return len(settings.LANGUAGES)


def dashboard_data(question: DashboardQuestion, *, today: datetime.date | None = None) -> dict:
    """Everything the dashboard shows, from the report functions, for one question."""
    today = today or local_today()
    query = question.query
    links = Links(query)
    path = main_path()
    if not path:
        return {"empty_funnel": True}
    columns = _group_columns(path)
    # The funnel overall, by campaign and by source (with the leads behind each entry count).
    funnel = funnel_by_lead_fields(query=query, mode=question.mode)
    # The black hole now, whenever the lead was accepted: the leads list's `black_hole=1`.
    holes = black_hole_report(
        query=ReportQuery(
            start=FIRST_DAY, end=today + datetime.timedelta(days=1), campaign=query.campaign,
            source=query.source, team=query.team, country=query.country,
        ),
        limit=1,
    )  # fmt: skip
    gems = hidden_gems_report(query=query, limit=GEMS_LISTED)
    return {
        "funnel": funnel_section(question, path, links, funnel[None]),
        "columns": columns,
        "by_campaign": groups_section(
            question, path, columns, links, "campaign", funnel["campaign"]
        ),
        "by_source": groups_section(question, path, columns, links, "source", funnel["source"]),
        **handoffs_section(question, links, today=today),
        "alerts": alerts_section(links, today=today),
        "black_holes": _figure(holes["total"], links.black_hole()),
        "gems": gems,
        "query": query,
        "last_day": query.end - datetime.timedelta(days=1),
    }
