from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from servicedesk.tenancy import countries
from servicedesk.tenancy.forms import country_choices
from servicedesk.tenancy.models import Tenant, slug_validator, validate_not_reserved
from servicedesk.tenancy.starter import STARTER_CATALOGUES

from .models import User


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    def clean_username(self) -> str:
        # Lower-cased before authenticate(): django-axes counts failures per username as given, so
        # "Owner@X" and "owner@x" must be one name, or changing the case would dodge the lockout.
        return self.cleaned_data["username"].lower()


class PasswordFieldsMixin(forms.Form):
    password1 = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_password2(self) -> str:
        p1, p2 = self.cleaned_data.get("password1"), self.cleaned_data.get("password2")
        if p1 and p2 and p1 != p2:
            raise forms.ValidationError(_("The two passwords differ."))
        return p2

    def validate_password_for(self, user: User) -> None:
        password = self.cleaned_data.get("password2")
        if password:
            try:
                password_validation.validate_password(password, user)
            except forms.ValidationError as error:
                self.add_error("password2", error)


class SignupForm(PasswordFieldsMixin):
    """A new service center with its owner and first location, on one page."""

    full_name = forms.CharField(label=_("Your name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    tenant_name = forms.CharField(label=_("Service center name"), max_length=120)
    slug = forms.CharField(
        label=_("Address"),
        max_length=50,
        validators=[slug_validator, validate_not_reserved],
        help_text=_("Your pages will live at /your-address/. Lower-case Latin letters, digits, hyphens."),
    )
    location_name = forms.CharField(label=_("First location"), max_length=120, initial=_("Main office"))
    location_address = forms.CharField(label=_("Its address"), max_length=300, required=False)
    country = forms.ChoiceField(
        label=_("Country"),
        choices=country_choices,
        help_text=_("Sets the phone numbering, currency, public holidays, legal details and privacy text."),
    )
    language = forms.ChoiceField(label=_("Language of documents and messages"), choices=settings.LANGUAGES)
    time_zone = forms.CharField(
        label=_("Time zone"),
        max_length=64,
        required=False,
        help_text=_("Empty: the country's main time zone, e.g. Europe/Moscow, Asia/Jakarta."),
    )
    starter_catalogue = forms.ChoiceField(
        label=_("Start with ready-made services"),
        choices=[("", _("None: I will add my services myself")), *STARTER_CATALOGUES],
        required=False,
        help_text=_(
            "Service types with usual prices, terms and warranty, in the language above. Edit them later."
        ),
    )

    field_order = [
        "full_name",
        "email",
        "password1",
        "password2",
        "tenant_name",
        "slug",
        "location_name",
        "location_address",
        "country",
        "language",
        "time_zone",
        "starter_catalogue",
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Whoever signs up in Indonesian most likely runs a center in Indonesia: the page's language
        # suggests the country and the language of papers (both are still asked).
        language = (get_language() or "").split("-")[0]
        codes = dict(settings.LANGUAGES)
        self.fields["language"].initial = language if language in codes else settings.LANGUAGE_CODE
        self.fields["country"].initial = countries.country_for_language(language)

    def clean_email(self) -> str:
        # No "this address has an account" error: that would tell anyone who has an account. The view
        # answers the same either way and mails the existing address instead.
        return self.cleaned_data["email"].strip().lower()

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"].strip().lower()
        if Tenant.objects.filter(slug=slug).exists():
            raise forms.ValidationError(_("This address is taken; choose another."))
        return slug

    def clean_time_zone(self) -> str:
        from servicedesk.tenancy.models import validate_time_zone

        value = self.cleaned_data["time_zone"].strip()
        if value:
            validate_time_zone(value)
        return value

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("time_zone") and cleaned.get("country"):
            cleaned["time_zone"] = countries.default_time_zone(cleaned["country"])
        self.validate_password_for(
            User(email=cleaned.get("email", ""), full_name=cleaned.get("full_name", ""))
        )
        return cleaned


class InvitationSignupForm(PasswordFieldsMixin):
    full_name = forms.CharField(label=_("Your name"), max_length=150)

    def __init__(self, *args, email: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        cleaned = super().clean()
        self.validate_password_for(User(email=self.email, full_name=cleaned.get("full_name", "")))
        return cleaned


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["full_name", "phone"]
