from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from . import templating
from .models import NotificationSettings


class MessageTextsForm(forms.Form):
    """A tenant's texts for one kind and language; checked with the safe template language."""

    email_subject = forms.CharField(label=_("E-mail subject"), max_length=200)
    email_body = forms.CharField(
        label=_("E-mail text"), max_length=5000, widget=forms.Textarea(attrs={"rows": 12})
    )
    sms_body = forms.CharField(
        label=_("SMS text"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Cyrillic texts fit 70 characters in one SMS, Latin ones 160; longer texts are sent in parts."
        ),
    )

    def __init__(self, *args, with_sms: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not with_sms:
            del self.fields["sms_body"]
        else:
            self.fields["sms_body"].required = True

    def _checked(self, name: str) -> str:
        value = self.cleaned_data[name].replace("\r\n", "\n").strip()
        templating.validate(value)
        return value

    def clean_email_subject(self) -> str:
        value = self._checked("email_subject")
        if "\n" in value:
            raise forms.ValidationError(_("The subject must be one line."))
        return value

    def clean_email_body(self) -> str:
        return self._checked("email_body")

    def clean_sms_body(self) -> str:
        return self._checked("sms_body")


class QuietHoursForm(forms.ModelForm):
    class Meta:
        model = NotificationSettings
        fields = ["quiet_from", "quiet_to"]
        widgets = {
            "quiet_from": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_to": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }
        help_texts = {
            "quiet_to": _(
                "SMS that fall into the quiet hours wait until they end. The same time twice means no quiet hours."
            ),
        }
