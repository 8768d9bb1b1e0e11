"""Documents: the tenant's paper details, its own templates, its privacy policy, and the issued archive.

An issued Document is immutable: its PDF, SHA-256, number and issuer never change. Issuing the same
kind for the same order again makes a new version (same number, version + 1) and keeps the old one.
Numbers come from DocumentCounter: per tenant, per kind, per year, gapless (see services.next_number).
"""

from __future__ import annotations

import secrets
from typing import Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.models import Order
from servicedesk.tenancy.models import TenantOwned, TenantQuerySet, TenantSettings


class Kind(models.TextChoices):
    INTAKE_RECEIPT = "intake_receipt", _("Intake receipt")
    SERVICE_CONTRACT = "service_contract", _("Service contract")
    COMPLETION_ACT = "completion_act", _("Completion act")
    WARRANTY_CARD = "warranty_card", _("Warranty card")


# The letter before the number: R-2026-00012 is a receipt, A-2026-00012 an act.
KIND_PREFIX = {
    Kind.INTAKE_RECEIPT: "R",
    Kind.SERVICE_CONTRACT: "C",
    Kind.COMPLETION_ACT: "A",
    Kind.WARRANTY_CARD: "W",
}

LANGUAGE_CHOICES = settings.LANGUAGES
MAX_IMAGE_BYTES = 1024 * 1024  # logos, signatures and stamps: small images, embedded in every PDF


def asset_path(instance: DocumentSettings, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "png"
    return f"documents/{instance.tenant_id}/assets/{secrets.token_hex(12)}.{ext}"


def validate_image_size(file) -> None:
    if file and getattr(file, "size", 0) > MAX_IMAGE_BYTES:
        raise ValidationError(_("The image is too large: at most 1 MB, please."))


digits = RegexValidator(r"^\d*$", _("Digits only."))


class DocumentSettings(TenantSettings):
    """The tenant's details printed on papers, beyond those on Tenant (legal name, INN, OGRN, address)."""

    kpp = models.CharField(
        _("tax registration reason code (KPP)"), max_length=9, blank=True, validators=[digits]
    )
    bank_name = models.CharField(_("bank"), max_length=200, blank=True)
    bank_bik = models.CharField(_("bank identifier (BIC)"), max_length=9, blank=True, validators=[digits])
    bank_account = models.CharField(_("account number"), max_length=34, blank=True)
    bank_correspondent_account = models.CharField(_("correspondent account"), max_length=34, blank=True)
    signer_name = models.CharField(_("signer's name"), max_length=150, blank=True)
    signer_title = models.CharField(
        _("signer's title"), max_length=150, blank=True, help_text=_("E.g. Director / Генеральный директор.")
    )
    signer_title_en = models.CharField(
        _("signer's title in English"),
        max_length=150,
        blank=True,
        help_text=_("Printed on documents in English, e.g. Director."),
    )
    signer_basis = models.CharField(
        _("acts on the basis of"),
        max_length=200,
        blank=True,
        help_text=_(
            "Printed after “on the basis of” (Russian: “на основании”), e.g. “the Charter” / “Устава”."
        ),
    )
    logo = models.ImageField(_("logo"), upload_to=asset_path, blank=True, validators=[validate_image_size])
    signature = models.ImageField(
        _("signature image"), upload_to=asset_path, blank=True, validators=[validate_image_size]
    )
    stamp = models.ImageField(
        _("stamp image"), upload_to=asset_path, blank=True, validators=[validate_image_size]
    )
    receipt_terms = models.TextField(
        _("terms printed on intake receipts"),
        blank=True,
        help_text=_("Storage, diagnostics, pickup rules. The order's own agreed terms are printed as well."),
    )
    contract_terms = models.TextField(
        _("terms printed on service contracts"),
        blank=True,
        help_text=_("Leave empty to print the standard terms of the default contract."),
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta(TenantOwned.Meta):
        verbose_name = _("document details")
        verbose_name_plural = _("document details")
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant"], name="documents_settings_tenant_uniq"),
        ]

    def __str__(self) -> str:
        return f"document details of {self.tenant_id}"


class DocumentTemplate(TenantOwned):
    """A tenant's own template for one kind in one language; without one the shipped default applies.

    The body is checked when saved (documents.sandbox.validate): only documented variables, only the
    whitelisted tags and filters, no {% load %}.
    """

    kind = models.CharField(_("document"), max_length=20, choices=Kind.choices)
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGE_CHOICES)
    body = models.TextField(_("template"), max_length=100_000)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta(TenantOwned.Meta):
        verbose_name = _("document template")
        verbose_name_plural = _("document templates")
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "kind", "language"], name="documents_template_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} ({self.language})"


class ImmutableError(Exception):
    """Issued documents are never changed or deleted."""


class DocumentQuerySet(TenantQuerySet):
    def update(self, **kwargs):
        raise ImmutableError("Issued documents never change.")

    def latest_per_kind(self) -> Self:
        return self.order_by("kind", "-version")


def document_path(instance: Document, filename: str) -> str:
    # Random names: a stored PDF is never overwritten and its name reveals nothing.
    return f"documents/{instance.tenant_id}/{instance.year}/{instance.kind}/{secrets.token_hex(16)}.pdf"


class Document(TenantOwned):
    """One issued version of a numbered document of an order."""

    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="documents", verbose_name=_("order")
    )
    kind = models.CharField(_("document"), max_length=20, choices=Kind.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGE_CHOICES)
    file = models.FileField(_("PDF"), upload_to=document_path, max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("size, bytes"))
    pages = models.PositiveSmallIntegerField(_("pages"), default=1)
    template_source = models.CharField(
        _("template"), max_length=16, help_text=_("“default” or “tenant” (the tenant's own version).")
    )
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    # Kept as text too: the record of who issued it survives the user's deletion.
    issued_by_name = models.CharField(_("issued by"), max_length=150)

    objects = DocumentQuerySet.as_manager()

    class Meta(TenantOwned.Meta):
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-issued_at", "-id"]
        constraints = [
            *TenantOwned.Meta.constraints,
            models.UniqueConstraint(
                fields=["tenant", "kind", "year", "number", "version"], name="documents_document_number_uniq"
            ),
            models.UniqueConstraint(
                fields=["tenant", "order", "kind", "version"], name="documents_document_version_uniq"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "order", "kind", "-version"], name="documents_order_idx"),
            # The archive's keyset pages (newest first), so a page reads 51 rows whatever the archive's size.
            models.Index(fields=["tenant", "-issued_at", "-id"], name="documents_archive_idx"),
        ]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        return f"{KIND_PREFIX[self.kind]}-{self.year}-{self.number:05d}"

    @property
    def filename(self) -> str:
        """What the browser saves it as: completion_act_A-2026-00012_v2_order-57.pdf."""
        version = f"_v{self.version}" if self.version > 1 else ""
        return f"{self.kind}_{self.display_number}{version}_order-{self.order.number}.pdf"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ImmutableError("Issued documents never change; issue a new version instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError("Issued documents are archived and never deleted.")
