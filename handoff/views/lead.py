"""The lead page: a lead's whole story and the actions the viewer may take on it now."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.views.decorators.http import require_GET


@require_GET
@login_required
def lead_page(request, lead_id: int):
    return HttpResponse("")


@login_required
def lead_action(request, lead_id: int, action: str):
    return HttpResponse("")
