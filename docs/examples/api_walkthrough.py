#!/usr/bin/env python3
"""An integration that only speaks HTTP: the whole lead lifecycle through Leadflow's REST API.

Creates people, ingests leads in bulk twice (no duplicates), moves them to MQL, lets the routing
worker hand them to reps, accepts and rejects them as those reps, dispositions some to won, and
reads each lead's history. Standard library only.

    python docs/examples/api_walkthrough.py http://127.0.0.1:8000 ADMIN_USERNAME ADMIN_PASSWORD

Run it against an installation whose sales team has no other reps (say, `setup_funnel` without
`seed_demo`), so the leads are routed to the reps it creates.
"""

import json
import secrets
import sys
import time
import urllib.error
import urllib.request

BASE, ADMIN, ADMIN_PASSWORD = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
RUN = secrets.token_hex(3)  # keeps usernames and emails of repeated runs apart


def call(method, path, token=None, body=None, headers=None):
    request = urllib.request.Request(
        f"{BASE}/api/v1{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    if token:
        request.add_header("Authorization", f"Token {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def token_for(username, password):
    status, body = call("POST", "/auth/token/", body={"username": username, "password": password})
    assert status == 200, body
    return body["token"]


def step(title):
    print(f"\n== {title}")


admin = token_for(ADMIN, ADMIN_PASSWORD)

step("Create an integration user and two sales reps")
people = {}
for name, role, team in [
    (f"mapi_{RUN}", "integration", None),
    (f"rep_one_{RUN}", "sales", "sales"),
    (f"rep_two_{RUN}", "sales", "sales"),
]:
    password = secrets.token_urlsafe(12)
    status, body = call("POST", "/users/", admin, {
        "username": name, "password": password, "email": f"{name}@example.com", "role": role,
        **({"team": team} if team else {}),
    })  # fmt: skip
    print(status, body["username"], body["role"], body.get("team"))
    people[name] = password
integration = token_for(f"mapi_{RUN}", people[f"mapi_{RUN}"])
reps = {name: token_for(name, pw) for name, pw in people.items() if name.startswith("rep_")}

step("Ingest six leads in bulk, then send the same batch again")
batch = {
    "leads": [
        {"external_id": f"MKTO-{RUN}-{n}", "email": f"buyer{n}.{RUN}@example.com",
         "first_name": f"Buyer{n}", "company": f"Acme {n}", "country": "DE", "source": "webinar"}
        for n in range(1, 7)
    ]
}  # fmt: skip
for attempt in (1, 2):
    status, body = call("POST", "/leads/bulk/", integration, batch,
                        {"Idempotency-Key": f"walkthrough-{RUN}-{attempt}"})  # fmt: skip
    print(f"attempt {attempt}: {status}", [r["status"] for r in body["results"]])
ids = [r["id"] for r in body["results"]]
status, body = call("GET", f"/leads/?q={RUN}&page_size=50", integration)
print(f"leads with this run's emails: {body['count']} (no duplicates)")

step("Move them to MQL; the routing worker hands each to a rep")
for lead_id in ids:
    status, body = call("POST", f"/leads/{lead_id}/transition/", integration, {"to": "mql"})
    assert status == 200, body
assignees = {}
deadline = time.monotonic() + 60
while len(assignees) < len(ids) and time.monotonic() < deadline:
    for lead_id in ids:
        offer = call("GET", f"/leads/{lead_id}/", integration)[1]["current_offer"]
        if offer and offer["assignee"]:
            assignees[lead_id] = offer["assignee"]
    time.sleep(0.5)
for lead_id in ids:
    print(f"lead {lead_id} -> {assignees.get(lead_id)}")

step("Each rep accepts four and rejects two of their leads")
for n, lead_id in enumerate(ids):
    rep = reps[assignees[lead_id]]
    if n < 4:
        status, body = call("POST", f"/leads/{lead_id}/accept/", rep, {"note": "Good fit"})
    else:
        status, body = call("POST", f"/leads/{lead_id}/reject/", rep,
                            {"reason": "not_icp", "note": "Too small"})  # fmt: skip
    print(f"lead {lead_id}: {status} stage={body['stage']} owner={body['owner']}")
status, body = call("POST", f"/leads/{ids[0]}/accept/", reps[assignees[ids[0]]], {})
print(f"accepting lead {ids[0]} again: {status} {body['detail']}")

step("Log a touch, then disposition two leads to won")
for lead_id in ids[:2]:
    rep = reps[assignees[lead_id]]
    call("POST", f"/leads/{lead_id}/touches/", rep, {"kind": "call", "outcome": "connected"})
    status, body = call("POST", f"/leads/{lead_id}/disposition/", rep,
                        {"disposition": "won", "amount": "25000.00", "note": "Signed"})  # fmt: skip
    print(f"lead {lead_id}: {status} stage={body['stage']}")

step("Each lead's history")
for lead_id in ids:
    status, body = call("GET", f"/leads/{lead_id}/history/?page_size=100", integration)
    items = body["results"] if isinstance(body, dict) and "results" in body else body
    summary = []
    for item in items:
        if item["type"] == "transition":
            summary.append(f"{item.get('from_stage') or 'new'}->{item['to_stage']}")
        else:
            summary.append(item["type"])
    print(f"lead {lead_id}: " + ", ".join(summary))
