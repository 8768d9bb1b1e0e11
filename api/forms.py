from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from orders.forms import DateTimeInput
from servicedesk.fields import DateTimeField
from servicedesk.tenancy.roles import Role

from .models import WebhookEvent


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=80, help_text=_("Who uses it, e.g. “Website” or “Telegram bot”.")
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=Role.choices,
        initial=Role.RECEPTION,
        help_text=_("The key may do what a member with this role may do."),
    )
    expires_at = DateTimeField(
        label=_("Expires"), required=False, widget=DateTimeInput(), help_text=_("Empty: until revoked.")
    )


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Where to send the events: an https address of your own system."),
    )
    description = forms.CharField(label=_("Description"), max_length=120, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )
