"""The settings index: the parts of the configuration the signed-in user may read.

A role that may read none of them gets a 403, as for any page its role may not use (and no
"Settings" link in the header: templates/base.html asks the same table).
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..parts import may_edit, parts_for


@require_GET
@login_required
def settings_index(request: HttpRequest) -> HttpResponse:
    parts = [(p, may_edit(request.user, p.key)) for p in parts_for(request.user)]
    if not parts:
        raise PermissionDenied
    return render(request, "configuration/index.html", {"parts": parts})
