from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Purpose, ServedAs


class CheckInForm(forms.Form):
    """Reception's one tap: the purpose is the button pressed; name and phone may stay empty."""

    purpose = forms.ChoiceField(label=_("Came for"), choices=Purpose.choices)
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "class": "form-control", "placeholder": _("Name (optional)")}
        ),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "inputmode": "tel",
                "class": "form-control",
                "placeholder": _("Phone (optional)"),
            }
        ),
    )


class TicketForm(forms.Form):
    """The client's form on their phone: what they came for, and a first name if they like."""

    purpose = forms.ChoiceField(
        label=_("What did you come for?"),
        choices=Purpose.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what you came for.")},
    )
    name = forms.CharField(
        label=_("Your first name (optional)"),
        max_length=100,
        required=False,
        help_text=_("So that we can call you by name. Only our staff see it."),
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )


class ServeForm(forms.Form):
    served_as = forms.ChoiceField(choices=ServedAs.choices)


class DeskForm(forms.Form):
    action = forms.ChoiceField(choices=[("replace", "replace"), ("enable", "enable"), ("disable", "disable")])
