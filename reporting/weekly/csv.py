"""The weekly report as CSV: one block per section, from the snapshot. Cells go through
leadflow.csv, so text a user entered (a lead, a reason, a campaign) never runs as a formula.

The block titles and the sections' labels are in the reader's language; the column names of
the fixed blocks (handoff, offered, …) and the values stay as they are, for spreadsheets and
scripts that read them."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _

from leadflow.csv import csv_safe_writer

from .render import period_label


def weekly_report_csv(data: dict) -> str:
    """The snapshot as CSV: one block per section, each with its own header row."""
    out = io.StringIO()
    w = csv_safe_writer(out)
    w.writerow([_("Weekly feedback report %(week)s") % {"week": data["iso_week"]},
                period_label(data),
                _("time zone %(time_zone)s") % {"time_zone": data["time_zone"]},
                _("built %(at)s") % {"at": data["built_at"]}])  # fmt: skip
    w.writerow([])
    w.writerow([_("Handoffs")])
    trend = data["handoffs"][0]["trend"] if data["handoffs"] else []
    w.writerow(["handoff", "offered", "decided", "accepted", "rejected", "expired", "pending",
                "acceptance_rate", "target_rate", "mean_8_weeks", "sla_met_rate", "alert"]
               + [f"rate {t['week']}" for t in trend])  # fmt: skip
    for h in data["handoffs"]:
        w.writerow([h["name"], h["offered"], h["decided"], h["accepted"], h["rejected"],
                    h["expired"], h["pending"], h["acceptance_rate"], h["target_rate"],
                    h["mean_8_weeks"], h["sla_met_rate"], "yes" if h["alert"] else ""]
                   + [t["value"] for t in h["trend"]])  # fmt: skip
    w.writerow([])
    w.writerow([_("Wins and losses")])
    w.writerow(["outcome", "lead", "company", "amount", "reason", "competitor", "rep", "at"])
    for kind, outcome in data["outcomes"].items():
        for d in outcome["deals"]:
            w.writerow([kind, d["name"], d["company"], d["amount"], d["reason"], d["competitor"],
                        d["rep"], d["at"]])  # fmt: skip
    for section in data["sections"].values():
        w.writerow([])
        w.writerow([_(section["title"])])
        w.writerow([_(c["label"]) for c in section["columns"]])
        for row in section["rows"]:
            w.writerow([row.get(c["key"]) for c in section["columns"]])
    w.writerow([])
    w.writerow([_("Alerts")])
    w.writerow(["ratio", "value", "target", "mean_8_weeks", "volume", "reasons"])
    for a in data["alerts"]:
        w.writerow([a["ratio"], a["value"], a["target"], a["baseline"], a["volume"],
                    " ".join(a["reasons"])])  # fmt: skip
    w.writerow([])
    w.writerow([_("Campaigns starting in the next two weeks")])
    w.writerow(["campaign", "channel", "start", "end"])
    for c in data["campaigns"]:
        w.writerow([c["name"], c["channel"], c["start"], c["end"]])
    return out.getvalue()
