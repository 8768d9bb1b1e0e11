"""What tenancy announces to the apps built on it (they connect in their AppConfig.ready())."""

from django.dispatch import Signal

# The owner of a center confirmed their e-mail address: the center may now message its clients.
# Sent inside the confirming transaction with `tenant_id`; receivers' writes commit or roll back with it.
owner_confirmed = Signal()

# A center was created (sign-up): `tenant` and `starter_catalogue` (a key of tenancy.starter, or ""). Sent inside
# the creating transaction, so the ready-made services the orders app adds commit or roll back with it.
tenant_created = Signal()
