"""The weekly feedback report, by job: `data` gathers a complete week and keeps it as the week's
snapshot, `render` turns a snapshot into the page and the email (`charts` draws its charts),
`mail` sends it to the leaders, and `csv` writes it as CSV.

The names the rest of Leadflow uses are importable from here.
"""

from . import charts
from .csv import weekly_report_csv
from .data import REPORT_VERSION, weekly_report_build, weekly_report_data
from .mail import (
    weekly_report_email,
    weekly_report_message,
    weekly_report_recipients,
    weekly_report_text,
)
from .render import period_label, weekly_report_context, weekly_report_render

__all__ = [
    "REPORT_VERSION",
    "charts",
    "period_label",
    "weekly_report_build",
    "weekly_report_context",
    "weekly_report_csv",
    "weekly_report_data",
    "weekly_report_email",
    "weekly_report_message",
    "weekly_report_recipients",
    "weekly_report_render",
    "weekly_report_text",
]
