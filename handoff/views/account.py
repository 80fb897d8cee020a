"""The signed-in user's own things: notifications, how each is delivered, time away."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def notifications(request):
    return HttpResponse("")


@login_required
def notification_read(request, notification_id: int):
    return HttpResponse("")


@login_required
def notifications_read_all(request):
    return HttpResponse("")


@login_required
def preferences(request):
    return HttpResponse("")
