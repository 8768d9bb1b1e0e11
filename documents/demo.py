"""Demo data of the documents app: the demo center's paper details (bank, signer, drawn logo, signature and
stamp), its privacy policy, and a few issued documents so the archive is not empty. Called by
`manage.py seed_demo`; safe to run again."""

from __future__ import annotations

import io
import math

from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image, ImageDraw, ImageFont

from orders.models import Order, OrderStatus
from servicedesk.tenancy.models import Membership, PrivacyPolicy
from servicedesk.tenancy.roles import Role

from . import services
from .models import Document, DocumentSettings, Kind

FONT = settings.BASE_DIR / "static" / "fonts" / "dejavu" / "DejaVuSans-Bold.ttf"
BLUE = (32, 64, 160, 235)

PRIVACY_TEXT_RU = """1. Оператор персональных данных — {legal_name}, ИНН {tax_id}, {address}.
2. Мы обрабатываем имя, телефон, адрес электронной почты и сведения об изделии заказчика, чтобы принять, выполнить и выдать заказ, сообщать о его статусе и исполнять гарантийные обязательства.
3. Данные хранятся в течение гарантийного срока и трёх лет после него, затем удаляются.
4. Мы не передаём данные третьим лицам, кроме операторов связи, доставляющих уведомления.
5. Заказчик может отозвать согласие или потребовать уточнить либо удалить данные, написав на {email}."""


def _png(image: Image.Image) -> ContentFile:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return ContentFile(buffer.getvalue(), name="image.png")


def draw_stamp(text: str) -> ContentFile:
    size = 320
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, size - 8, size - 8), outline=BLUE, width=8)
    draw.ellipse((48, 48, size - 48, size - 48), outline=BLUE, width=4)
    font = ImageFont.truetype(str(FONT), 26)
    ring = f" {text} • {text} •"
    for i, char in enumerate(ring):
        angle = -math.pi / 2 + 2 * math.pi * i / len(ring)
        x, y = size / 2 + 126 * math.cos(angle), size / 2 + 126 * math.sin(angle)
        glyph = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((20, 20), char, font=font, fill=BLUE, anchor="mm")
        glyph = glyph.rotate(-math.degrees(angle) - 90, resample=Image.BICUBIC)
        image.alpha_composite(glyph, (int(x - 20), int(y - 20)))
    draw.text((size / 2, size / 2), "М.П.", font=ImageFont.truetype(str(FONT), 44), fill=BLUE, anchor="mm")
    return _png(image)


def draw_signature() -> ContentFile:
    image = Image.new("RGBA", (360, 120), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    points = [(10 + x, 70 - 30 * math.sin(x / 14) * math.exp(-x / 260)) for x in range(0, 330, 3)]
    draw.line(points, fill=(20, 30, 120, 255), width=5, joint="curve")
    draw.line([(60, 95), (300, 85)], fill=(20, 30, 120, 255), width=3)
    return _png(image)


def draw_logo(initials: str) -> ContentFile:
    image = Image.new("RGBA", (270, 96), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((4, 4, 92, 92), radius=18, fill=(13, 110, 253, 255))
    draw.text((48, 48), initials, font=ImageFont.truetype(str(FONT), 40), fill="white", anchor="mm")
    draw.text(
        (104, 48), "Service", font=ImageFont.truetype(str(FONT), 34), fill=(33, 37, 41, 255), anchor="lm"
    )
    return _png(image)


def seed_demo_documents(staff) -> None:
    tenant = staff.tenant
    paper = DocumentSettings.for_tenant(tenant)
    if paper.pk is None and tenant.language == "id":
        # The Jakarta demo center: Indonesian bank and signer; no KPP, BIC or correspondent account there.
        paper.bank_name = "PT Bank Demo Indonesia, Jakarta"
        paper.bank_account = "1230004567890"
        paper.signer_name = "Dewi Lestari"
        paper.signer_title = "Direktur Utama"
        paper.signer_basis = "Anggaran Dasar"
        paper.logo.save("logo.png", draw_logo("DS"), save=False)
        paper.signature.save("signature.png", draw_signature(), save=False)
        paper.stamp.save("stamp.png", draw_stamp(tenant.name.upper()[:22]), save=False)
        paper.save()
    if paper.pk is None:
        paper.kpp = "770101001"
        paper.bank_name = "АО «Демо Банк», Москва"
        paper.bank_bik = "044525000"
        paper.bank_account = "40702810900000000001"
        paper.bank_correspondent_account = "30101810400000000000"
        paper.signer_name = "Ольга Иванова"
        paper.signer_title = "Генеральный директор"
        paper.signer_title_en = "Director"
        paper.signer_basis = "Устава"
        paper.logo.save("logo.png", draw_logo("DS"), save=False)
        paper.signature.save("signature.png", draw_signature(), save=False)
        paper.stamp.save("stamp.png", draw_stamp(tenant.name.upper()[:22]), save=False)
        paper.save()
    # The Russian policy text follows 152-FZ: only for the Russian-speaking center (the country work of
    # issue 18 brings texts for other countries' laws).
    if tenant.language == "ru" and not PrivacyPolicy.objects.filter(tenant=tenant).exists():
        PrivacyPolicy.objects.create(
            tenant=tenant,
            version=settings.PRIVACY_POLICY_VERSION,
            language="ru",
            title="Политика обработки персональных данных",
            text=PRIVACY_TEXT_RU.format(
                legal_name=tenant.legal_name or tenant.name,
                tax_id=tenant.tax_id or "—",
                address=tenant.legal_address or "—",
                email=tenant.email or "—",
            ),
        )
    seed_issued_documents(tenant)


def seed_issued_documents(tenant) -> None:
    """Issue what reception would have printed: receipts and contracts for open orders, completion acts
    and warranty cards for handed-over ones (in Russian, one in English). Skipped once any exists."""
    if Document.objects.for_tenant(tenant).exists():
        return
    reception = Membership.objects.for_tenant(tenant).filter(role=Role.RECEPTION).first()
    if reception is None:
        return
    orders = Order.objects.for_tenant(tenant).select_related("tenant").order_by("number")
    own = tenant.language  # the center's language (ru for Moscow, id for Jakarta)
    plan = [
        (
            orders.filter(status=OrderStatus.IN_PROGRESS).first(),
            [(Kind.INTAKE_RECEIPT, own), (Kind.SERVICE_CONTRACT, own)],
        ),
        (orders.filter(status=OrderStatus.READY).first(), [(Kind.INTAKE_RECEIPT, "en")]),
        (
            orders.filter(status=OrderStatus.HANDED_OVER).first(),
            [(Kind.COMPLETION_ACT, own), (Kind.WARRANTY_CARD, own)],
        ),
    ]
    for order, kinds in plan:
        if order is None:
            continue
        for kind, language in kinds:
            if services.why_not_issue(order, kind) is None:
                services.issue(order, kind, language, by=reception)
