"""How long a client may wait at a location's desk: what the board measures each wait against.

The reception app does not know where the figure comes from. The quality app registers a provider in its
AppConfig.ready() (the center's "reception wait" standard); without one, or where no standard applies, the
board uses DEFAULT_WAIT_MINUTES, the articles' "no more than 5 minutes".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from servicedesk.tenancy.models import Location, Tenant

DEFAULT_WAIT_MINUTES = 5.0

# provider(tenant, locations) -> {location id: minutes} for the locations it has a figure for.
WaitTargetProvider = Callable[[Tenant, Sequence[Location]], dict[int, float]]
_providers: list[WaitTargetProvider] = []


def register_wait_targets(provider: WaitTargetProvider) -> WaitTargetProvider:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def wait_targets(tenant: Tenant, locations: Sequence[Location]) -> dict[int, float]:
    """Minutes each location's clients may wait; the first provider with a figure for a location wins."""
    targets: dict[int, float] = {}
    for provider in _providers:
        for location_id, minutes in provider(tenant, locations).items():
            targets.setdefault(location_id, minutes)
    return {location.pk: targets.get(location.pk, DEFAULT_WAIT_MINUTES) for location in locations}
