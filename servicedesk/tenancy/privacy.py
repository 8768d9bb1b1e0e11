"""The center's privacy policy: published versions, the one in force, the one a client agreed to.

Here, in tenancy, because orders records the client's consent at intake and the documents app prints
and publishes the text: both build on tenancy.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .models import Membership, PrivacyPolicy, Tenant


def current_policy(tenant: Tenant | int) -> PrivacyPolicy | None:
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    return PrivacyPolicy.objects.filter(tenant_id=tenant_id).order_by("-published_at", "-id").first()


def current_privacy_version(tenant: Tenant | int) -> str:
    """The version a client consents to now: the tenant's newest published policy, else the setting.

    orders.services records it in Client.consent_version at intake (see docs/documents.md).
    """
    policy = current_policy(tenant)
    return policy.version if policy else settings.PRIVACY_POLICY_VERSION


def consent_is_current(client, version: str | None = None) -> bool:
    """True when the client's consent is on file for the privacy text in force (`version`, default
    `current_privacy_version`): intake asks for it again only when it is not (a new client, or a new text
    published since). `client` is an orders.Client or None."""
    if client is None or client.consent_at is None:
        return False
    return client.consent_version == (version or current_privacy_version(client.tenant_id))


def policy_for_client(client) -> PrivacyPolicy | None:
    """The text this client agreed to (its Client.consent_version), else the one in force, else None.

    For the client's public pages (e.g. a /s/<token>/privacy/ page of the orders app): what a client
    consented to stays readable even after newer versions are published.
    """
    policies = PrivacyPolicy.objects.filter(tenant_id=client.tenant_id)
    if client.consent_version:
        agreed = policies.filter(version=client.consent_version).first()
        if agreed is not None:
            return agreed
    return policies.order_by("-published_at", "-id").first()


def publish_policy(
    tenant: Tenant, *, version: str, language: str, title: str, text: str, by: Membership
) -> PrivacyPolicy:
    """Publish a new version; versions are never edited, so what a client agreed to stays readable."""
    version = version.strip()
    if PrivacyPolicy.objects.filter(tenant=tenant, version=version).exists():
        raise ValidationError(
            _("Version “%(version)s” is already published; give the new text a new version.")
            % {"version": version}
        )
    policy = PrivacyPolicy(
        tenant=tenant,
        version=version,
        language=language,
        title=title.strip(),
        text=text.strip(),
        published_by=by.user,
    )
    policy.full_clean()
    try:
        with transaction.atomic():
            policy.save()
    except IntegrityError:
        raise ValidationError(
            _("Version “%(version)s” is already published.") % {"version": version}
        ) from None
    return policy


# --- The default text, per country's law -------------------------------------------------------------
# What a new center's first policy starts from (the owner edits it before publishing): the personal-data
# law of the center's country (tenancy.countries: CountryProfile.privacy_law), in the language the center
# writes in. {placeholders} are the center's details. A law without a text in that language falls back to
# its English text; a country without a row, to the GDPR-style text.
PRIVACY_TITLES: dict[str, dict[str, str]] = {
    "ru_152fz": {
        "ru": "Политика обработки персональных данных",
        "en": "Personal data processing policy (Federal Law No. 152-FZ)",
    },
    "id_pdp": {
        "id": "Kebijakan Pelindungan Data Pribadi",
        "en": "Personal data protection policy (Law No. 27 of 2022)",
    },
    "gdpr": {"en": "Privacy notice", "ru": "Уведомление о конфиденциальности"},
}

PRIVACY_TEXTS: dict[str, dict[str, str]] = {
    "ru_152fz": {
        "ru": """1. Оператор персональных данных — {legal_name}, {legal_ids}, {address}. Обработка ведётся в соответствии с Федеральным законом от 27.07.2006 № 152-ФЗ «О персональных данных».
2. Мы обрабатываем фамилию, имя, номер телефона, адрес электронной почты заказчика и сведения о его изделии, чтобы принять, выполнить и выдать заказ, сообщать о его ходе и исполнять гарантийные обязательства.
3. Данные хранятся в течение гарантийного срока и трёх лет после него, затем уничтожаются.
4. Данные не передаются третьим лицам, кроме операторов связи, доставляющих уведомления; базы данных, в которых хранятся данные граждан России, находятся на территории Российской Федерации.
5. Заказчик вправе получить сведения об обработке своих данных, потребовать их уточнения, блокирования или уничтожения и отозвать согласие, написав на {email}.""",
        "en": """1. The operator of personal data is {legal_name}, {legal_ids}, {address}. Data is processed under Federal Law No. 152-FZ of 27 July 2006 "On Personal Data".
2. We process the client's name, phone number, e-mail address and details of their item to take in, carry out and hand over the order, to tell the client how it goes and to meet our warranty obligations.
3. The data is kept for the warranty period and three years after it, then destroyed.
4. The data is not passed to third parties except the carriers that deliver our messages; the databases holding Russian citizens' data are located in the Russian Federation.
5. The client may learn how their data is processed, have it corrected, blocked or destroyed, and withdraw consent by writing to {email}.""",
    },
    "id_pdp": {
        "id": """1. Pengendali data pribadi adalah {legal_name}, {legal_ids}, {address}. Data diproses sesuai Undang-Undang Nomor 27 Tahun 2022 tentang Pelindungan Data Pribadi.
2. Kami memproses nama, nomor telepon, alamat email pelanggan dan keterangan perangkatnya untuk menerima, mengerjakan dan menyerahkan pesanan, mengabarkan perkembangannya, serta memenuhi kewajiban garansi.
3. Data disimpan selama masa garansi dan tiga tahun sesudahnya, lalu dimusnahkan.
4. Data tidak diberikan kepada pihak ketiga, kecuali penyedia layanan yang mengirimkan pemberitahuan kami.
5. Pelanggan berhak mengakses, memperbaiki, menghapus datanya, serta menarik kembali persetujuannya dengan menulis ke {email}. Kegagalan pelindungan data akan kami beritahukan kepada pelanggan paling lambat 3 x 24 jam.""",
        "en": """1. The controller of personal data is {legal_name}, {legal_ids}, {address}. Data is processed under Law No. 27 of 2022 on Personal Data Protection.
2. We process the client's name, phone number, e-mail address and details of their item to take in, carry out and hand over the order, to tell the client how it goes and to meet our warranty obligations.
3. The data is kept for the warranty period and three years after it, then destroyed.
4. The data is not given to third parties except the providers that deliver our messages.
5. The client may access, correct and delete their data and withdraw consent by writing to {email}. We tell clients of a failure to protect their data within 3 x 24 hours.""",
    },
    "gdpr": {
        "en": """1. The controller of your personal data is {legal_name}, {legal_ids}, {address}.
2. We process your name, phone number, e-mail address and details of your item to perform our contract with you: to take in, carry out and hand over your order, to tell you how it goes and to meet our warranty obligations.
3. We keep the data for the warranty period and three years after it, then delete it.
4. We do not share the data except with the providers that deliver our messages, who process it on our instructions.
5. You may access, correct, erase or port your data, object to or restrict its processing and withdraw consent at any time by writing to {email}; you may also complain to your data protection authority.""",
        "ru": """1. Оператор ваших персональных данных — {legal_name}, {legal_ids}, {address}.
2. Мы обрабатываем ваше имя, номер телефона, адрес электронной почты и сведения об изделии, чтобы исполнить договор: принять, выполнить и выдать заказ, сообщать о его ходе и исполнять гарантийные обязательства.
3. Данные хранятся в течение гарантийного срока и трёх лет после него, затем удаляются.
4. Мы передаём данные только поставщикам, доставляющим наши сообщения, и только по нашему поручению.
5. Вы вправе получить, исправить, удалить или перенести свои данные, возразить против обработки или ограничить её и отозвать согласие, написав на {email}; вы также можете обратиться в надзорный орган по защите данных.""",
    },
}


def _pick(table: dict[str, dict[str, str]], law: str, language: str) -> str:
    texts = table.get(law) or table["gdpr"]
    return texts.get(language) or texts.get("en") or next(iter(texts.values()))


def default_privacy_title(tenant: Tenant, language: str | None = None) -> str:
    from .countries import profile

    return _pick(PRIVACY_TITLES, profile(tenant.country).privacy_law, language or tenant.language)


def default_privacy_text(tenant: Tenant, language: str | None = None) -> str:
    """The starting text for the center's first privacy policy: its country's law, the center's language,
    its details filled in (those it has not given yet show as "—")."""
    from .countries import legal_line, profile

    language = language or tenant.language
    legal_ids = legal_line(
        tenant.country, {"tax_id": tenant.tax_id, "registration_number": tenant.registration_number}, language
    )
    text = _pick(PRIVACY_TEXTS, profile(tenant.country).privacy_law, language)
    return text.format(
        legal_name=tenant.legal_name or tenant.name,
        legal_ids=legal_ids or "—",
        address=tenant.legal_address or "—",
        email=tenant.email or "—",
    )
