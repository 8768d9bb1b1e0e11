"""Forms of the documents app. Validation messages say what to fix; nothing here raises a 500."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from servicedesk.images import normalise_image
from servicedesk.tenancy.models import PrivacyPolicy

from . import sandbox
from .models import MAX_IMAGE_BYTES, DocumentSettings, Kind

IMAGE_FORMATS = {"PNG": "png", "JPEG": "jpg"}
MAX_IMAGE_SIDE = 3000


def check_image(upload):
    """A real PNG or JPEG of at most 1 MB and 3000 px a side (what WeasyPrint embeds in every PDF),
    re-encoded without metadata and named by its real format (servicedesk.images), whatever the upload
    was called."""
    if upload.size > MAX_IMAGE_BYTES:
        raise ValidationError(_("The image is too large: at most 1 MB, please."))
    image = normalise_image(
        upload,
        formats=set(IMAGE_FORMATS),
        max_bytes=MAX_IMAGE_BYTES,
        max_pixels=MAX_IMAGE_SIDE * MAX_IMAGE_SIDE,
        not_an_image=_("This is not a PNG or JPEG image."),
    )
    if image.width > MAX_IMAGE_SIDE or image.height > MAX_IMAGE_SIDE:
        raise ValidationError(_("The image is too big: at most 3000 pixels a side."))
    return image.file


class DocumentSettingsForm(forms.ModelForm):
    class Meta:
        model = DocumentSettings
        fields = [
            "kpp",
            "bank_name",
            "bank_bik",
            "bank_account",
            "bank_correspondent_account",
            "signer_name",
            "signer_title",
            "signer_title_en",
            "signer_basis",
            "logo",
            "signature",
            "stamp",
            "receipt_terms",
            "contract_terms",
        ]
        widgets = {
            "receipt_terms": forms.Textarea(attrs={"rows": 4}),
            "contract_terms": forms.Textarea(attrs={"rows": 4}),
            "logo": forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
            "signature": forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
            "stamp": forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
        }

    def _clean_image(self, name: str):
        upload = self.cleaned_data.get(name)
        if upload and hasattr(upload, "content_type"):  # a new upload, not the stored file
            return check_image(upload)
        return upload

    def clean_logo(self):
        return self._clean_image("logo")

    def clean_signature(self):
        return self._clean_image("signature")

    def clean_stamp(self):
        return self._clean_image("stamp")


class TemplateForm(forms.Form):
    body = forms.CharField(
        label=_("Template"),
        widget=forms.Textarea(attrs={"rows": 28, "class": "font-monospace small", "spellcheck": "false"}),
        max_length=sandbox.MAX_TEMPLATE_CHARS,
        strip=False,
    )

    def clean_body(self):
        body = self.cleaned_data["body"]
        try:
            sandbox.validate(body)
        except sandbox.TemplateRefused as error:
            raise ValidationError(error.messages) from None
        return body


class KindLanguageForm(forms.Form):
    """Which document, in which language: the query of the template editor and the issue buttons."""

    kind = forms.ChoiceField(choices=Kind.choices)
    language = forms.ChoiceField(choices=settings.LANGUAGES)


class BatchForm(forms.Form):
    kind = forms.ChoiceField(label=_("Document"), choices=Kind.choices)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    orders = forms.CharField(
        label=_("Order numbers"),
        help_text=_("Separated by spaces or commas, at most 200; ranges like 10-25 work too."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_orders(self) -> list[int]:
        text = self.cleaned_data["orders"].replace(",", " ")
        numbers: list[int] = []
        for token in text.split():
            token = token.lstrip("#")
            try:
                if "-" in token:
                    start, end = (int(part) for part in token.split("-", 1))
                    if end < start or end - start > 200:
                        raise ValueError
                    numbers.extend(range(start, end + 1))
                else:
                    numbers.append(int(token))
            except ValueError:
                raise ValidationError(
                    _("“%(token)s” is not an order number or a range.") % {"token": token[:20]}
                ) from None
        numbers = list(dict.fromkeys(n for n in numbers if n > 0))
        if not numbers:
            raise ValidationError(_("Enter at least one order number."))
        if len(numbers) > 200:
            raise ValidationError(_("At most 200 orders at a time."))
        return numbers


class PrivacyPolicyForm(forms.ModelForm):
    class Meta:
        model = PrivacyPolicy
        fields = ["version", "language", "title", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 16})}
        help_texts = {
            "version": _("A new name for each published text, e.g. 2026-02. Published texts never change.")
        }
