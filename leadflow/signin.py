"""Sign-in pages: slowed per address (the API's sign_in rate), then locked out (django-axes)."""

from django.conf import settings
from django.contrib.auth.views import LoginView
from django.shortcuts import render
from rest_framework.throttling import ScopedRateThrottle


def _paused(request, *, seconds: int, username: str = ""):
    response = render(
        request,
        "registration/locked_out.html",
        {"username": username, "minutes": max(1, round(seconds / 60))},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the app's page, 429 with Retry-After, instead of axes' text."""
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    return _paused(request, seconds=seconds, username=(credentials or {}).get("username", ""))


class SignInView(LoginView):
    """Django's login page; a burst of sign-ins from one address is paused."""

    throttle_scope = "sign_in"

    def post(self, request, *args, **kwargs):
        throttle = ScopedRateThrottle()
        if not throttle.allow_request(request, self):
            return _paused(request, seconds=int(throttle.wait() or 60))
        return super().post(request, *args, **kwargs)
