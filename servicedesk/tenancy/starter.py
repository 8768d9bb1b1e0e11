"""The ready-made catalogues a new center may start from: their keys and names only.

The sign-up form (accounts, below orders) offers them; the services themselves are the orders app's
(orders/catalogues.py), which creates them when tenancy announces the new center (signals.tenant_created).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

STARTER_CATALOGUES = [
    ("phones", _("Phone and tablet repair")),
    ("appliances", _("Household appliances")),
    ("cars", _("Car service")),
    ("it", _("IT services")),
    ("consulting", _("Consultations and training")),
]
STARTER_KEYS = frozenset(key for key, _label in STARTER_CATALOGUES)
