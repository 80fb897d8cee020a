"""Mailing the weekly report: to the leaders, once, with its charts as inline images."""

from __future__ import annotations

from email.mime.image import MIMEImage

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from funnel.models import Role, Team, User
from leadflow.locale import user_language
from reporting.alerts import decimal_text, percent, ratio_alert_data_text
from reporting.models import WeeklyReport

from . import charts
from .render import amount, content_id, period_label, weekly_report_email_html


def weekly_report_recipients() -> list[User]:
    """The leaders: each team's manager, and everyone with the manager role (active, with an
    email address)."""
    leaders = Team.objects.filter(manager__isnull=False).values_list("manager_id")
    return list(
        User.objects.filter(Q(pk__in=leaders) | Q(role=Role.MANAGER), is_active=True)
        .exclude(email="")
        .order_by("username")
    )


LINK_STYLE = "margin:0 0 12px;font:14px/1.4 system-ui,Arial,sans-serif;"


def site_url(path: str) -> str:
    """`path` as a link that works from a mail client: on SITE_URL, where the app is served."""
    return settings.SITE_URL.rstrip("/") + path


def weekly_report_url(report: WeeklyReport) -> str:
    return site_url(reverse("reporting:weekly-detail", args=[report.pk]))


def weekly_report_text(data: dict, *, url: str | None = None) -> str:
    """The plain-text part of the email, for clients that show no HTML; `url` is the report's
    page (default: the list of reports)."""
    url = url or site_url(reverse("reporting:weekly-list"))
    lines = [
        _("Weekly feedback report, %(week)s (%(period)s)")
        % {"week": data["iso_week"], "period": period_label(data)},
        "",
    ]
    for h in data["handoffs"]:
        lines.append(
            ngettext(
                "%(name)s: %(rate)s accepted of %(decided)s decided "
                "(target %(target)s, 8-week mean %(mean)s)",
                "%(name)s: %(rate)s accepted of %(decided)s decided "
                "(target %(target)s, 8-week mean %(mean)s)",
                h["decided"],
            )
            % {
                "name": h["name"],
                "rate": percent(h["acceptance_rate"]),
                "decided": decimal_text(h["decided"], 0),
                "target": percent(h["target_rate"]),
                "mean": percent(h["mean_8_weeks"]),
            }
        )
    won, lost = data["outcomes"]["won"], data["outcomes"]["lost"]
    lines += [
        "",
        _("Won: %(won)s (%(amount)s); lost: %(lost)s.")
        % {
            "won": decimal_text(won["count"], 0),
            "amount": amount(won["amount"]),
            "lost": decimal_text(lost["count"], 0),
        },
    ]
    if data["alerts"]:
        lines += ["", _("Alerts:")] + [f"- {ratio_alert_data_text(a)}" for a in data["alerts"]]
    lines += [
        "",
        _(
            "The full report, with charts, is the HTML part of this email, and in Leadflow at "
            "%(url)s"
        )
        % {"url": url},
    ]
    return "\n".join(lines)


def html_with_link(html: str, url: str) -> str:
    """The stored report with a link to its page first in the body. The snapshot is built
    before the report has an id, so the link is added as it is mailed."""
    link = format_html(
        '<p style="{}"><a href="{}">{}</a></p>', LINK_STYLE, url, _("Open this report in Leadflow")
    )
    head, body, rest = html.partition("<body")
    if not body:
        return link + html
    end = rest.index(">") + 1
    return f"{head}{body}{rest[:end]}\n{link}{rest[end:]}"


def weekly_report_html(report: WeeklyReport) -> str:
    """The report's email document in the active language: the stored one in the site's
    language (as built), else rendered again from the snapshot."""
    if translation.get_language() == settings.LANGUAGE_CODE:
        return report.html
    return weekly_report_email_html(report.data)


def weekly_report_message(
    *, report: WeeklyReport, to: list[str], images: dict[str, bytes], html: str | None = None
):
    """One email, in the active language: text, the HTML (`html`, else the stored one in the
    active language), and the charts as inline PNGs the HTML shows by cid; both parts link to
    the report's page by its absolute address (SITE_URL)."""
    url = weekly_report_url(report)
    message = EmailMultiAlternatives(
        subject=_("[Leadflow] Weekly feedback report %(week)s") % {"week": report.data["iso_week"]},
        body=weekly_report_text(report.data, url=url),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
    )
    html = weekly_report_html(report) if html is None else html
    message.attach_alternative(html_with_link(html, url), "text/html")
    message.mixed_subtype = "related"
    for name, png in images.items():
        image = MIMEImage(png, "png")
        image.add_header("Content-ID", f"<{content_id(name)}>")
        image.add_header("Content-Disposition", "inline", filename=name)
        message.attach(image)
    return message


def weekly_report_email(*, report: WeeklyReport, force: bool = False) -> int:
    """Email the report to the managers once; returns the number of emails sent.

    Claimed by a conditional update first, so two workers never both send it; a failed send
    gives the claim back, for the retry. `force` sends it again (a manager asked for it).
    """
    now = timezone.now()
    if not force:
        claimed = WeeklyReport.objects.filter(pk=report.pk, emailed_at__isnull=True).update(
            emailed_at=now
        )
        if not claimed:
            return 0
    recipients = weekly_report_recipients()
    try:
        # Each recipient's email in their language: the HTML and the charts (whose texts are
        # translated too) drawn once per language.
        by_language: dict[str, list[User]] = {}
        for user in recipients:
            by_language.setdefault(user_language(user), []).append(user)
        messages = []
        for language, users in by_language.items():
            with translation.override(language):
                images = charts.weekly_charts(report.data)
                html = weekly_report_html(report)
                messages += [
                    weekly_report_message(report=report, to=[user.email], images=images, html=html)
                    for user in users
                ]
        sent = get_connection().send_messages(messages) if messages else 0
    except Exception:
        if not force:
            WeeklyReport.objects.filter(pk=report.pk, emailed_at=now).update(emailed_at=None)
        raise
    if force:
        WeeklyReport.objects.filter(pk=report.pk).update(emailed_at=now)
    report.emailed_at = now
    return sent or 0
