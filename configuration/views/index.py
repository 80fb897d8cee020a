"""The settings index: the parts of the configuration the signed-in user may edit."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def settings_index(request: HttpRequest) -> HttpResponse:
    return render(request, "configuration/index.html", {})
