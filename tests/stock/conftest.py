"""The stock tests share the technicians' people, orders and parts (a job page uses the store)."""

from tests.technicians.conftest import *  # noqa: F403 - pytest fixtures are found by name
