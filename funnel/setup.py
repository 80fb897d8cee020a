"""Installing the defaults: the funnel's own, then each higher app's.

The apps above the funnel (handoffs' agreements and routing rules, reporting's ratio watches)
register a step at start-up, in their AppConfig.ready(), so `setup_funnel` installs everything
without the funnel importing them.
"""

from __future__ import annotations

from collections.abc import Callable

from .services import funnel_setup_defaults

SetupStep = Callable[[], dict[str, int]]

_steps: list[SetupStep] = []


def setup_step_register(step: SetupStep) -> None:
    """Run `step` after the funnel's defaults; apps register in INSTALLED_APPS order."""
    if step not in _steps:
        _steps.append(step)


def defaults_install() -> dict[str, int]:
    """Install every default that is missing; what was created, by kind. Safe to re-run."""
    created = funnel_setup_defaults()
    for step in _steps:
        created |= step()
    return created
