"""Headers every response carries, whoever asks and whatever the answer."""

from __future__ import annotations

import pytest
from django.urls import reverse

from servicedesk.tenancy.roles import Role

EXPECTED_POLICY = {
    "camera=(self)",  # technicians photograph the work from the job card
    "geolocation=()",
    "microphone=()",
    "payment=()",
    "usb=()",
}


def policy_of(response) -> set[str]:
    return {part.strip() for part in response["Permissions-Policy"].split(",")}


@pytest.mark.parametrize(
    "path", ["/accounts/login/", "/accounts/signup/", "/healthz", "/no-such-page/x/", "/s/" + "a" * 43 + "/"]
)
def test_anonymous_pages_carry_the_permissions_policy(client, db, path):
    response = client.get(path)
    assert "Permissions-Policy" in response, path
    assert EXPECTED_POLICY <= policy_of(response)


def test_a_tenant_page_carries_the_permissions_policy(client_for, users_a):
    response = client_for(users_a[Role.OWNER]).get(
        reverse("orders:dashboard", kwargs={"tenant_slug": "alpha"})
    )
    assert response.status_code == 200
    assert EXPECTED_POLICY <= policy_of(response)
