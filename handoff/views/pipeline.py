"""My pipeline and hot leads: every lead a rep holds until it closes, and the hottest to work."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.views.decorators.http import require_GET


@require_GET
@login_required
def pipeline(request):
    return HttpResponse("")


@require_GET
@login_required
def hot_leads(request):
    return HttpResponse("")
