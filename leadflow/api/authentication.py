"""API tokens (DRF's, one per user) that can be revoked and may expire."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

TOKEN_EXPIRED = _("This token has expired; request a new one at POST /api/v1/auth/token/.")


def token_expires_at(token: Token) -> datetime | None:
    """When `token` stops working (API_TOKEN_TTL_HOURS after it was issued), or None."""
    hours = settings.API_TOKEN_TTL_HOURS
    return token.created + timedelta(hours=hours) if hours else None


def token_expired(token: Token) -> bool:
    expires_at = token_expires_at(token)
    return expires_at is not None and expires_at <= timezone.now()


@transaction.atomic
def token_issue(user) -> Token:
    """The user's token; a new one in place of one that has expired."""
    token, _ = Token.objects.select_for_update().get_or_create(user=user)
    if token_expired(token):
        token.delete()
        token = Token.objects.create(user=user)
    return token


def token_revoke(user) -> bool:
    """The user's token stops working at once; False if there was none."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return bool(deleted)


class ExpiringTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`; a revoked token is gone, an expired one answers 401."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            raise exceptions.AuthenticationFailed(TOKEN_EXPIRED, code="token_expired")
        return user, token
