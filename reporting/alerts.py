"""Drift alerts on watched ratios: one alert per ratio per week, stored, notified and sent out.

A watched ratio drifts in a week when, on at least `min_volume` decisions (acceptance) or entries
(conversion), it departs from its target or from its trailing 8-week mean by more than the
watch's threshold. Everything is counted by the database (the handoffs report and aggregates on
the stage history); no lead is loaded.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from statistics import fmean

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from funnel.models import User
from funnel.selectors import target_in_force, target_today
from handoff.models import Notification, StageTransition
from handoff.services.notifications import notify
from integrations.events import event_record
from integrations.models import EventType
from leadflow.locale import speaking_to
from reporting.models import RatioAlert, RatioWatch
from reporting.params import ReportQuery
from reporting.selectors.common import decided_count, rate, ratio, week_of
from reporting.selectors.handoffs import handoff_report
from reporting.weeks import week_check_complete, week_label, week_last_complete, week_shift

TREND_WEEKS = 8
DASH = "\u2013"  # shown for a figure that has no value
# A manager reads drift as an escalation: the ratio needs a look. (Notification has no kind of
# its own for it; see docs/decisions.md.)
ALERT_NOTIFICATION_KIND = Notification.Kind.ESCALATION


@dataclass(frozen=True)
class RatioFigures:
    """One watched ratio in one week, beside its target and its trailing mean."""

    watch: RatioWatch
    week: datetime.date
    hits: int
    volume: int
    value: float | None
    target: float | None
    baseline: float | None
    trend: list[dict] = field(default_factory=list)  # the trailing weeks, oldest first
    reasons: list[str] = field(default_factory=list)  # "target" and/or "trend": why it drifted


def decimal_text(value: float, places: int = 1) -> str:
    """`value` rounded to `places` decimals, without a trailing ",0", in the active language:
    12.5 → "12.5" (English), "12,5" (Russian); grouped: 1234 → "1,234", "1 234"."""
    text = f"{value:.{places}f}"
    if places:
        text = text.removesuffix("." + "0" * places)
    number = Decimal(text)
    return number_format(
        number, 0 if "." not in text else places, use_l10n=True, force_grouping=True
    )


def percent(value: float | None, places: int = 1) -> str:
    """0.875 → "87.5%", 1.0 → "100%" (in Russian "87,5 %")."""
    if value is None:
        return DASH
    # Translators: a percentage; %(number)s is the number, already localized ("87,5 %").
    return pgettext("percent", "%(number)s%%") % {"number": decimal_text(value * 100, places)}


def points(value: float, reference: float) -> str:
    """How far value sits from reference, in percentage points: "37.5 points below"."""
    gap = decimal_text(abs(value - reference) * 100)
    if value < reference:
        return _("%(gap)s points below") % {"gap": gap}
    return _("%(gap)s points above") % {"gap": gap}


def _beyond(value: float, reference: float, threshold) -> bool:
    # Rounded first: 0.6 - 0.75 is 0.15000000000000002 in floating point, not beyond 0.15.
    return round(abs(value - reference), 4) > float(threshold)


def trend_weeks(week: datetime.date) -> list[str]:
    """The trailing weeks of `week`, oldest first, keyed as the reports key weeks."""
    return [week_shift(week, -n).isoformat() for n in range(TREND_WEEKS, 0, -1)]


def trailing_mean(trend: list[dict], min_volume: int) -> float | None:
    """The mean of the trailing weeks' values, over the weeks that reached `min_volume`.

    A week too thin to raise an alert is too thin to set the baseline: one rejected offer in a
    quiet week would otherwise pull the mean down by a tenth.
    """
    values = [w["value"] for w in trend if w["value"] is not None and w["volume"] >= min_volume]
    return ratio(fmean(values)) if values else None


def watch_target(watch: RatioWatch, week: datetime.date | None = None) -> float | None:
    """The watch's own target if set, else (acceptance) its handoff's target rate in force in
    `week` (on its last day; today without a week)."""
    if watch.target is not None:
        return float(watch.target)
    if watch.kind == RatioWatch.Kind.ACCEPTANCE and watch.handoff_id:
        day = week_shift(week, 1) - datetime.timedelta(days=1) if week else target_today()
        return float(target_in_force(handoff=watch.handoff, day=day))
    return None


# --- counting ---------------------------------------------------------------------------------


def _trend_query(week: datetime.date) -> ReportQuery:
    return ReportQuery(start=week_shift(week, -TREND_WEEKS), end=week_shift(week, 1))


def acceptance_weeks(*, week: datetime.date) -> dict[str, dict[str, tuple[int, int]]]:
    """Per handoff key, per week of the trend window: (accepted, decided)."""
    series: dict[str, dict[str, tuple[int, int]]] = {}
    for row in handoff_report(query=_trend_query(week), interval="week"):
        series.setdefault(row["handoff"], {})[row["week"]] = (row["accepted"], decided_count(row))
    return series


def conversion_weeks(*, watch: RatioWatch, week: datetime.date) -> dict[str, tuple[int, int]]:
    """Per week of the trend window: (entries into from_stage that later reached to_stage, entries).

    A cohort by week of entry: a lead that entered the from-stage twice counts twice. Counted as
    of now, so the newest week is the least mature (see docs/decisions.md).
    """
    query = _trend_query(week)
    reached = StageTransition.objects.filter(
        lead=OuterRef("lead"), to_stage=watch.to_stage_id
    ).filter(Q(at__gt=OuterRef("at")) | Q(at=OuterRef("at"), id__gt=OuterRef("id")))
    entries = (
        StageTransition.objects.filter(
            to_stage=watch.from_stage_id,
            at__gte=query.start_at,
            at__lt=query.end_at,
            **query.lead_filters("lead__"),
        )
        .annotate(week=week_of("at"), converted=Exists(reached))
        .values("week")
        .annotate(volume=Count("id"), hits=Count("id", filter=Q(converted=True)))
    )
    return {row["week"]: (row["hits"], row["volume"]) for row in entries}


def ratio_figures(
    *, watch: RatioWatch, week: datetime.date, series: dict[str, tuple[int, int]]
) -> RatioFigures:
    """The week's value, target, baseline and why (if at all) it drifted."""
    hits, volume = series.get(week.isoformat(), (0, 0))
    value = rate(hits, volume)
    trend = []
    for key in trend_weeks(week):
        h, v = series.get(key, (0, 0))
        trend.append({"week": key, "value": rate(h, v), "volume": v})
    baseline = trailing_mean(trend, max(watch.min_volume, 1))
    target = watch_target(watch, week)
    reasons = []
    if value is not None and volume >= watch.min_volume:
        if target is not None and _beyond(value, target, watch.threshold):
            reasons.append("target")
        if baseline is not None and _beyond(value, baseline, watch.threshold):
            reasons.append("trend")
    return RatioFigures(
        watch=watch, week=week, hits=hits, volume=volume, value=value, target=target,
        baseline=baseline, trend=trend, reasons=reasons,
    )  # fmt: skip


def ratio_figures_all(
    *, week: datetime.date, watches: list[RatioWatch] | None = None
) -> list[RatioFigures]:
    """The figures of every active watch (or of `watches`) for a week."""
    if watches is None:
        watches = list(watch_list())
    acceptance = (
        acceptance_weeks(week=week)
        if any(w.kind == RatioWatch.Kind.ACCEPTANCE for w in watches)
        else {}
    )
    figures = []
    for watch in watches:
        if watch.kind == RatioWatch.Kind.ACCEPTANCE:
            series = acceptance.get(watch.handoff.key, {})
        else:
            series = conversion_weeks(watch=watch, week=week)
        figures.append(ratio_figures(watch=watch, week=week, series=series))
    return figures


# --- reads ------------------------------------------------------------------------------------


def watch_list() -> QuerySet[RatioWatch]:
    return RatioWatch.objects.filter(active=True).select_related(
        "handoff__sending_team__manager",
        "handoff__receiving_team__manager",
        "from_stage__team__manager",
        "to_stage__team__manager",
    )


def ratio_alert_list(*, week: datetime.date | None = None) -> QuerySet[RatioAlert]:
    alerts = RatioAlert.objects.select_related(
        "watch__handoff", "watch__from_stage", "watch__to_stage"
    ).order_by("-week", "watch__name", "id")
    return alerts.filter(week=week) if week is not None else alerts


def watch_owners(watch: RatioWatch) -> list[User]:
    """Who answers for the ratio: the managers of the teams on either side of it."""
    if watch.kind == RatioWatch.Kind.ACCEPTANCE:
        teams = [watch.handoff.sending_team, watch.handoff.receiving_team]
    else:
        teams = [watch.from_stage.team, watch.to_stage.team]
    owners: dict[int, User] = {}
    for team in teams:
        if team.manager_id and team.manager.is_active:
            owners.setdefault(team.manager_id, team.manager)
    return list(owners.values())


def ratio_alert_data(alert: RatioAlert) -> dict:
    """An alert as the `ratio.drifted` event, the API and the weekly report carry it."""
    watch = alert.watch
    return {
        "id": alert.pk,
        "watch": watch.pk,
        "ratio": watch.name,
        "kind": watch.kind,
        "handoff": watch.handoff.key if watch.handoff_id else None,
        "from_stage": watch.from_stage.key if watch.from_stage_id else None,
        "to_stage": watch.to_stage.key if watch.to_stage_id else None,
        "week": alert.week.isoformat(),
        "iso_week": week_label(alert.week),
        "value": alert.value,
        "target": alert.target,
        "baseline": alert.baseline,
        "volume": alert.volume,
        "threshold": float(watch.threshold),
        "reasons": list(alert.reasons),
    }


def alert_sentence(
    *, name: str, kind: str, value: float, iso_week: str, volume: int,
    target: float | None, baseline: float | None,
) -> str:  # fmt: skip
    """One sentence a manager can act on, in the active language."""
    args = {"name": name, "value": percent(value), "week": iso_week,
            "volume": decimal_text(volume, 0)}  # fmt: skip
    if kind == RatioWatch.Kind.ACCEPTANCE:
        first = ngettext(
            "%(name)s was %(value)s in %(week)s on %(volume)s decision",
            "%(name)s was %(value)s in %(week)s on %(volume)s decisions",
            volume,
        )
    else:
        first = ngettext(
            "%(name)s was %(value)s in %(week)s on %(volume)s entry",
            "%(name)s was %(value)s in %(week)s on %(volume)s entries",
            volume,
        )
    parts = [first % args]
    if target is not None:
        parts.append(
            _("target %(target)s (%(points)s)")
            % {"target": percent(target), "points": points(value, target)}
        )
    if baseline is not None:
        parts.append(
            _("8-week mean %(mean)s (%(points)s)")
            % {"mean": percent(baseline), "points": points(value, baseline)}
        )
    # Translators: joins the parts of an alert's sentence ("…; target 80% (…); 8-week mean …").
    return pgettext("alert parts", "; ").join(parts) + pgettext("end of sentence", ".")


def ratio_alert_text(alert: RatioAlert) -> str:
    """One sentence a manager can act on."""
    return alert_sentence(
        name=alert.watch.name, kind=alert.watch.kind, value=alert.value,
        iso_week=week_label(alert.week), volume=alert.volume, target=alert.target,
        baseline=alert.baseline,
    )  # fmt: skip


def ratio_alert_data_text(data: dict) -> str:
    """The sentence of an alert as the weekly report's snapshot keeps it (ratio_alert_data), in
    the active language; the stored text of a snapshot that lacks the figures."""
    try:
        return alert_sentence(
            name=data["ratio"], kind=data["kind"], value=data["value"],
            iso_week=data["iso_week"], volume=data["volume"], target=data["target"],
            baseline=data["baseline"],
        )  # fmt: skip
    except (KeyError, TypeError):
        return data.get("text", "")


def _alert_body(text: str, figures: RatioFigures) -> str:
    threshold = decimal_text(float(figures.watch.threshold) * 100)
    volume = figures.watch.min_volume
    args = {"threshold": threshold, "volume": decimal_text(volume, 0)}
    if figures.watch.kind == RatioWatch.Kind.ACCEPTANCE:
        rule = ngettext(
            "An alert is raised when a week departs from the target or from the mean of the "
            "8 weeks before it by more than %(threshold)s points, on at least %(volume)s "
            "decision. The weekly report shows the trend.",
            "An alert is raised when a week departs from the target or from the mean of the "
            "8 weeks before it by more than %(threshold)s points, on at least %(volume)s "
            "decisions. The weekly report shows the trend.",
            volume,
        )
    else:
        rule = ngettext(
            "An alert is raised when a week departs from the target or from the mean of the "
            "8 weeks before it by more than %(threshold)s points, on at least %(volume)s "
            "entry. The weekly report shows the trend.",
            "An alert is raised when a week departs from the target or from the mean of the "
            "8 weeks before it by more than %(threshold)s points, on at least %(volume)s "
            "entries. The weekly report shows the trend.",
            volume,
        )
    return f"{text}\n\n{rule % args}"


# --- writes -----------------------------------------------------------------------------------


@transaction.atomic
def ratio_alert_raise(*, figures: RatioFigures) -> RatioAlert | None:
    """Store the alert, notify the ratio's managers and record `ratio.drifted`, all at most once.

    The unique (watch, week) constraint decides: a second check, or a check racing this one,
    finds the row (get_or_create retries the read after the IntegrityError) and does nothing.
    Emails and webhooks leave after commit, so a rolled-back check sends nothing.
    """
    alert, created = RatioAlert.objects.get_or_create(
        watch=figures.watch,
        week=figures.week,
        defaults={
            "value": figures.value,
            "volume": figures.volume,
            "target": figures.target,
            "baseline": figures.baseline,
            "reasons": figures.reasons,
        },
    )
    if not created:
        return None
    for manager in watch_owners(figures.watch):
        # Each manager reads the alert in their own language.
        with speaking_to(manager):
            notify(
                user=manager,
                kind=ALERT_NOTIFICATION_KIND,
                subject=_("%(name)s drifted: %(value)s in %(week)s")
                % {
                    "name": figures.watch.name,
                    "value": percent(alert.value),
                    "week": week_label(alert.week),
                },
                body=_alert_body(ratio_alert_text(alert), figures),
            )
    event_record(type=EventType.RATIO_DRIFTED, data=ratio_alert_data(alert))
    return alert


def ratio_check(
    *, week: datetime.date | None = None, now: datetime.datetime | None = None
) -> list[RatioAlert]:
    """Check every active watch in a complete week (default: the last one); return new alerts.

    Safe to run again, or twice at once: each ratio raises one alert per week.
    """
    week = week or week_last_complete(now)
    week_check_complete(week, now)
    done = set(RatioAlert.objects.filter(week=week).values_list("watch_id", flat=True))
    watches = [w for w in watch_list() if w.pk not in done]
    raised = []
    for figures in ratio_figures_all(week=week, watches=watches):
        if figures.reasons:
            alert = ratio_alert_raise(figures=figures)
            if alert is not None:
                raised.append(alert)
    return raised
