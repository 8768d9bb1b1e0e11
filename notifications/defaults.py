"""The texts that ship with the product, per kind and language. A tenant may override any of them.

Each entry: (e-mail subject, e-mail text, SMS text). Staff alerts go by e-mail only (SMS text "").
Only the variables of templating.VARIABLES may appear (a test checks every text here).
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import Kind


@dataclass(frozen=True)
class Texts:
    email_subject: str
    email_body: str
    sms_body: str


_SIGNATURE_EN = "\n\n{{ tenant.name }}\n{{ tenant.phone }}"
_SIGNATURE_RU = "\n\n{{ tenant.name }}\n{{ tenant.phone }}"
_SIGNATURE_ID = "\n\n{{ tenant.name }}\n{{ tenant.phone }}"

DEFAULTS: dict[str, dict[str, Texts]] = {
    "en": {
        Kind.ORDER_RECEIVED: Texts(
            "Order #{{ order.number }} received",
            "Hello, {{ client.name }}!\n\n"
            "We have received your order #{{ order.number }}: {{ order.service }}, {{ order.item }}.\n"
            "We plan to finish by {{ order.promised_at }}.\n\n"
            "See where your order stands at any time: {{ public_url }}" + _SIGNATURE_EN,
            "{{ tenant.name }}: order #{{ order.number }} received. Status: {{ public_url }}",
        ),
        Kind.ESTIMATE_WAITING: Texts(
            "Order #{{ order.number }}: please approve the estimate",
            "Hello, {{ client.name }}!\n\n"
            "The diagnosis of your {{ order.item }} is done. The estimate is {{ order.estimate }}.\n"
            "Please approve or decline it on your order's page: {{ public_url }}\n"
            "or call us at {{ tenant.phone }}." + _SIGNATURE_EN,
            "{{ tenant.name }}: estimate for order #{{ order.number }} is {{ order.estimate }}. "
            "Approve or decline: {{ public_url }}",
        ),
        Kind.AWAITING_PARTS: Texts(
            "Order #{{ order.number }}: waiting for parts",
            "Hello, {{ client.name }}!\n\n"
            "We are waiting for parts for your order #{{ order.number }} ({{ order.item }}). "
            "We will write as soon as the work continues.\n\n"
            "Status: {{ public_url }}" + _SIGNATURE_EN,
            "{{ tenant.name }}: order #{{ order.number }} is waiting for parts. Status: {{ public_url }}",
        ),
        Kind.READY_FOR_PICKUP: Texts(
            "Order #{{ order.number }} is ready for pickup",
            "Hello, {{ client.name }}!\n\n"
            "Your order #{{ order.number }} ({{ order.item }}) is ready.\n\n"
            "Where: {{ pickup.name }}, {{ pickup.address }}\n"
            "When: {{ pickup.opening_hours }}\n"
            "To pay: {{ order.amount_due }}\n\n"
            "Status: {{ public_url }}" + _SIGNATURE_EN,
            "{{ tenant.name }}: order #{{ order.number }} is ready. Pick it up at {{ pickup.address }}, "
            "{{ pickup.opening_hours }}",
        ),
        Kind.HANDED_OVER: Texts(
            "Thank you! Order #{{ order.number }}",
            "Hello, {{ client.name }}!\n\n"
            "Thank you for choosing {{ tenant.name }}. Your order #{{ order.number }} has been handed over; "
            "the warranty runs until {{ order.warranty_until }}.\n\n"
            "How did we do? Tell us here: {{ feedback_url }}" + _SIGNATURE_EN,
            "{{ tenant.name }}: thank you! How did we do? {{ feedback_url }}",
        ),
        Kind.VISIT_REMINDER: Texts(
            "Reminder: our technician visits you on {{ visit.date }}",
            "Hello, {{ client.name }}!\n\n"
            "A reminder: our technician will come on {{ visit.date }}, {{ visit.time }}, "
            "to {{ visit.address }} (order #{{ order.number }}).\n"
            "To change the time, call us at {{ tenant.phone }}." + _SIGNATURE_EN,
            "{{ tenant.name }}: our technician comes {{ visit.date }} {{ visit.time }}, {{ visit.address }}. "
            "To reschedule: {{ tenant.phone }}",
        ),
        Kind.TECHNICIAN_ASSIGNED: Texts(
            "Order #{{ order.number }} is assigned to you",
            "{{ recipient.name }},\n\n"
            "order #{{ order.number }} is now yours: {{ order.service }}, {{ order.item }}.\n"
            "Problem: {{ order.problem }}\n"
            "Promised by: {{ order.promised_at }}\n"
            "On-site visit: {{ visit.date }} {{ visit.time }} {{ visit.address }}\n\n"
            "{{ order_url }}",
            "",
        ),
        Kind.ORDER_OVERDUE: Texts(
            "Overdue: order #{{ order.number }}",
            "{{ recipient.name }},\n\n"
            "order #{{ order.number }} was promised by {{ order.promised_at }} and is still open.\n"
            "Status: {{ status }}\n"
            "Technician: {{ technician.name }}\n\n"
            "{{ order_url }}",
            "",
        ),
        Kind.LOW_RATING: Texts(
            "Order #{{ order.number }} rated {{ feedback.rating }} of 5",
            "{{ recipient.name }},\n\n"
            "{{ client.name }} rated order #{{ order.number }} ({{ order.service }}, {{ order.item }}) "
            "{{ feedback.rating }} of 5:\n"
            "{{ feedback.comment }}\n\n"
            "Technician: {{ technician.name }}\n"
            "Please call the client.\n\n"
            "{{ order_url }}",
            "",
        ),
        Kind.SLA_AT_RISK: Texts(
            "At risk: order #{{ order.number }}, {{ sla.target }}",
            "{{ recipient.name }},\n\n"
            "order #{{ order.number }} ({{ order.service }}, {{ order.item }}) has used three quarters of its "
            "time for “{{ sla.target }}”: due {{ sla.due_at }}.\n"
            "Status: {{ status }}\n"
            "Technician: {{ technician.name }}\n\n"
            "{{ order_url }}",
            "",
        ),
        Kind.SLA_BREACHED: Texts(
            "Breached: order #{{ order.number }}, {{ sla.target }}",
            "{{ recipient.name }},\n\n"
            "order #{{ order.number }} ({{ order.service }}, {{ order.item }}) has missed its deadline for "
            "“{{ sla.target }}”: it was due {{ sla.due_at }}.\n"
            "Status: {{ status }}\n"
            "Technician: {{ technician.name }}\n\n"
            "{{ order_url }}",
            "",
        ),
        Kind.DOCUMENT: Texts(
            "{{ document.title }} {{ document.number }} · order #{{ order.number }}",
            "Hello, {{ client.name }}!\n\n"
            "Attached: {{ document.title }} {{ document.number }}, for your order "
            "#{{ order.number }} ({{ order.item }}).\n\n"
            "Order status: {{ public_url }}" + _SIGNATURE_EN,
            "",
        ),
        Kind.COMPLAINT_ANSWER: Texts(
            "Your complaint about order #{{ order.number }}",
            "Hello, {{ client.name }}!\n\n"
            "Thank you for telling us about the problem with your order #{{ order.number }} ({{ order.item }}). "
            "We have looked into it:\n\n"
            "{{ complaint.resolution }}\n\n"
            "If you have any questions, call us at {{ tenant.phone }}." + _SIGNATURE_EN,
            "{{ tenant.name }}: about your complaint on order #{{ order.number }}: {{ complaint.resolution }}",
        ),
    },
    "ru": {
        Kind.ORDER_RECEIVED: Texts(
            "Заказ №{{ order.number }} принят",
            "Здравствуйте, {{ client.name }}!\n\n"
            "Мы приняли ваш заказ №{{ order.number }}: {{ order.service }}, {{ order.item }}.\n"
            "Планируем закончить до {{ order.promised_at }}.\n\n"
            "Статус заказа всегда здесь: {{ public_url }}" + _SIGNATURE_RU,
            "{{ tenant.name }}: заказ №{{ order.number }} принят. Статус: {{ public_url }}",
        ),
        Kind.ESTIMATE_WAITING: Texts(
            "Заказ №{{ order.number }}: согласуйте стоимость",
            "Здравствуйте, {{ client.name }}!\n\n"
            "Диагностика ({{ order.item }}) закончена. Стоимость работ: {{ order.estimate }}.\n"
            "Согласуйте или откажитесь на странице заказа: {{ public_url }}\n"
            "или по телефону {{ tenant.phone }}." + _SIGNATURE_RU,
            "{{ tenant.name }}: стоимость по заказу №{{ order.number }} — {{ order.estimate }}. "
            "Согласовать: {{ public_url }}",
        ),
        Kind.AWAITING_PARTS: Texts(
            "Заказ №{{ order.number }}: ждём запчасти",
            "Здравствуйте, {{ client.name }}!\n\n"
            "Для вашего заказа №{{ order.number }} ({{ order.item }}) мы ждём запчасти. "
            "Напишем, как только работа продолжится.\n\n"
            "Статус: {{ public_url }}" + _SIGNATURE_RU,
            "{{ tenant.name }}: заказ №{{ order.number }} ждёт запчасти. Статус: {{ public_url }}",
        ),
        Kind.READY_FOR_PICKUP: Texts(
            "Заказ №{{ order.number }} готов",
            "Здравствуйте, {{ client.name }}!\n\n"
            "Ваш заказ №{{ order.number }} ({{ order.item }}) готов.\n\n"
            "Где забрать: {{ pickup.name }}, {{ pickup.address }}\n"
            "Когда: {{ pickup.opening_hours }}\n"
            "К оплате: {{ order.amount_due }}\n\n"
            "Статус: {{ public_url }}" + _SIGNATURE_RU,
            "{{ tenant.name }}: заказ №{{ order.number }} готов. Забрать: {{ pickup.address }}, "
            "{{ pickup.opening_hours }}",
        ),
        Kind.HANDED_OVER: Texts(
            "Спасибо! Заказ №{{ order.number }}",
            "Здравствуйте, {{ client.name }}!\n\n"
            "Спасибо, что выбрали {{ tenant.name }}. Заказ №{{ order.number }} выдан; "
            "гарантия действует до {{ order.warranty_until }}.\n\n"
            "Оцените нашу работу: {{ feedback_url }}" + _SIGNATURE_RU,
            "{{ tenant.name }}: спасибо! Оцените нашу работу: {{ feedback_url }}",
        ),
        Kind.VISIT_REMINDER: Texts(
            "Напоминание: мастер приедет {{ visit.date }}",
            "Здравствуйте, {{ client.name }}!\n\n"
            "Напоминаем: наш мастер приедет {{ visit.date }}, {{ visit.time }}, "
            "по адресу {{ visit.address }} (заказ №{{ order.number }}).\n"
            "Чтобы перенести визит, позвоните нам: {{ tenant.phone }}." + _SIGNATURE_RU,
            "{{ tenant.name }}: мастер приедет {{ visit.date }} {{ visit.time }}, {{ visit.address }}. "
            "Перенести: {{ tenant.phone }}",
        ),
        Kind.TECHNICIAN_ASSIGNED: Texts(
            "Вам назначен заказ №{{ order.number }}",
            "{{ recipient.name }},\n\n"
            "вам назначен заказ №{{ order.number }}: {{ order.service }}, {{ order.item }}.\n"
            "Неисправность: {{ order.problem }}\n"
            "Срок: {{ order.promised_at }}\n"
            "Выезд: {{ visit.date }} {{ visit.time }} {{ visit.address }}\n\n"
            "{{ order_url }}",
            "",
        ),
        Kind.ORDER_OVERDUE: Texts(
            "Просрочен заказ №{{ order.number }}",
            "{{ recipient.name }},\n\n"
            "заказ №{{ order.number }} обещали к {{ order.promised_at }}, но он ещё не закрыт.\n"
            "Статус: {{ status }}\n"
            "Мастер: {{ technician.name }}\n\n"
            "{{ order_url }}",
            "",
        ),
        Kind.LOW_RATING: Texts(
            "Заказ №{{ order.number }}: оценка {{ feedback.rating }} из 5",
            "{{ recipient.name }},\n\n"
            "{{ client.name }} оценил(а) заказ №{{ order.number }} ({{ order.service }}, {{ order.item }}) "
            "на {{ feedback.rating }} из 5:\n"
            "{{ feedback.comment }}\n\n"
            "Мастер: {{ technician.name }}\n"
            "Позвоните клиенту.\n\n"
            "{{ order_url }}",
            "",
        ),
        Kind.SLA_AT_RISK: Texts(
            "Под угрозой: заказ №{{ order.number }}, {{ sla.target }}",
            "{{ recipient.name }},\n\n"
            "заказ №{{ order.number }} ({{ order.service }}, {{ order.item }}) израсходовал три четверти "
            "времени по нормативу «{{ sla.target }}»: срок {{ sla.due_at }}.\n"
            "Статус: {{ status }}\n"
            "Мастер: {{ technician.name }}\n\n"
            "{{ order_url }}",
            "",
        ),
        Kind.SLA_BREACHED: Texts(
            "Нарушен срок: заказ №{{ order.number }}, {{ sla.target }}",
            "{{ recipient.name }},\n\n"
            "заказ №{{ order.number }} ({{ order.service }}, {{ order.item }}) нарушил норматив "
            "«{{ sla.target }}»: срок был {{ sla.due_at }}.\n"
            "Статус: {{ status }}\n"
            "Мастер: {{ technician.name }}\n\n"
            "{{ order_url }}",
            "",
        ),
        Kind.DOCUMENT: Texts(
            "{{ document.title }} № {{ document.number }} · заказ №{{ order.number }}",
            "Здравствуйте, {{ client.name }}!\n\n"
            "Во вложении: {{ document.title }} № {{ document.number }} по вашему заказу "
            "№{{ order.number }} ({{ order.item }}).\n\n"
            "Статус заказа: {{ public_url }}" + _SIGNATURE_RU,
            "",
        ),
        Kind.COMPLAINT_ANSWER: Texts(
            "Ваша претензия по заказу №{{ order.number }}",
            "Здравствуйте, {{ client.name }}!\n\n"
            "Спасибо, что сообщили о проблеме с заказом №{{ order.number }} ({{ order.item }}). "
            "Мы разобрались:\n\n"
            "{{ complaint.resolution }}\n\n"
            "Если остались вопросы, позвоните нам: {{ tenant.phone }}." + _SIGNATURE_RU,
            "{{ tenant.name }}: по вашей претензии к заказу №{{ order.number }}: {{ complaint.resolution }}",
        ),
    },
    "id": {
        Kind.ORDER_RECEIVED: Texts(
            "Order #{{ order.number }} sudah kami terima",
            "Halo, {{ client.name }}!\n\n"
            "Order Anda #{{ order.number }} sudah kami terima: {{ order.service }}, {{ order.item }}.\n"
            "Kami targetkan selesai paling lambat {{ order.promised_at }}.\n\n"
            "Pantau status order Anda kapan saja di sini: {{ public_url }}" + _SIGNATURE_ID,
            "{{ tenant.name }}: order #{{ order.number }} sudah kami terima. Status: {{ public_url }}",
        ),
        Kind.ESTIMATE_WAITING: Texts(
            "Order #{{ order.number }}: mohon setujui estimasi biaya",
            "Halo, {{ client.name }}!\n\n"
            "Diagnosis {{ order.item }} Anda sudah selesai. Estimasi biayanya {{ order.estimate }}.\n"
            "Mohon setujui atau tolak di halaman order Anda: {{ public_url }}\n"
            "atau hubungi kami di {{ tenant.phone }}." + _SIGNATURE_ID,
            "{{ tenant.name }}: estimasi biaya order #{{ order.number }} {{ order.estimate }}. "
            "Setujui atau tolak: {{ public_url }}",
        ),
        Kind.AWAITING_PARTS: Texts(
            "Order #{{ order.number }}: menunggu suku cadang",
            "Halo, {{ client.name }}!\n\n"
            "Kami sedang menunggu suku cadang untuk order Anda #{{ order.number }} ({{ order.item }}). "
            "Kami akan mengabari Anda begitu pengerjaan dilanjutkan.\n\n"
            "Status: {{ public_url }}" + _SIGNATURE_ID,
            "{{ tenant.name }}: order #{{ order.number }} sedang menunggu suku cadang. Status: {{ public_url }}",
        ),
        Kind.READY_FOR_PICKUP: Texts(
            "Order #{{ order.number }} sudah siap diambil",
            "Halo, {{ client.name }}!\n\n"
            "Order Anda #{{ order.number }} ({{ order.item }}) sudah selesai.\n\n"
            "Tempat: {{ pickup.name }}, {{ pickup.address }}\n"
            "Jam buka: {{ pickup.opening_hours }}\n"
            "Yang perlu dibayar: {{ order.amount_due }}\n\n"
            "Status: {{ public_url }}" + _SIGNATURE_ID,
            "{{ tenant.name }}: order #{{ order.number }} sudah siap. Silakan ambil di {{ pickup.address }}, "
            "{{ pickup.opening_hours }}",
        ),
        Kind.HANDED_OVER: Texts(
            "Terima kasih! Order #{{ order.number }}",
            "Halo, {{ client.name }}!\n\n"
            "Terima kasih sudah memilih {{ tenant.name }}. Order Anda #{{ order.number }} sudah diserahkan; "
            "garansi berlaku sampai {{ order.warranty_until }}.\n\n"
            "Bagaimana pelayanan kami? Beri tahu kami di sini: {{ feedback_url }}" + _SIGNATURE_ID,
            "{{ tenant.name }}: terima kasih! Bagaimana pelayanan kami? {{ feedback_url }}",
        ),
        Kind.VISIT_REMINDER: Texts(
            "Pengingat: teknisi kami datang pada {{ visit.date }}",
            "Halo, {{ client.name }}!\n\n"
            "Sekadar mengingatkan: teknisi kami akan datang pada {{ visit.date }}, {{ visit.time }}, "
            "ke {{ visit.address }} (order #{{ order.number }}).\n"
            "Untuk mengubah jadwal, hubungi kami di {{ tenant.phone }}." + _SIGNATURE_ID,
            "{{ tenant.name }}: teknisi kami datang {{ visit.date }} {{ visit.time }}, {{ visit.address }}. "
            "Ubah jadwal: {{ tenant.phone }}",
        ),
        Kind.TECHNICIAN_ASSIGNED: Texts(
            "Order #{{ order.number }} ditugaskan kepada Anda",
            "{{ recipient.name }},\n\n"
            "order #{{ order.number }} sekarang menjadi tugas Anda: {{ order.service }}, {{ order.item }}.\n"
            "Keluhan: {{ order.problem }}\n"
            "Target selesai: {{ order.promised_at }}\n"
            "Kunjungan ke lokasi: {{ visit.date }} {{ visit.time }} {{ visit.address }}\n\n"
            "{{ order_url }}",
            "",
        ),
        Kind.ORDER_OVERDUE: Texts(
            "Terlambat: order #{{ order.number }}",
            "{{ recipient.name }},\n\n"
            "order #{{ order.number }} dijanjikan selesai {{ order.promised_at }} dan masih terbuka.\n"
            "Status: {{ status }}\n"
            "Teknisi: {{ technician.name }}\n\n"
            "{{ order_url }}",
            "",
        ),
        Kind.LOW_RATING: Texts(
            "Order #{{ order.number }} dinilai {{ feedback.rating }} dari 5",
            "{{ recipient.name }},\n\n"
            "{{ client.name }} memberi nilai order #{{ order.number }} ({{ order.service }}, {{ order.item }}) "
            "{{ feedback.rating }} dari 5:\n"
            "{{ feedback.comment }}\n\n"
            "Teknisi: {{ technician.name }}\n"
            "Mohon hubungi pelanggan.\n\n"
            "{{ order_url }}",
            "",
        ),
        Kind.SLA_AT_RISK: Texts(
            "Berisiko: order #{{ order.number }}, {{ sla.target }}",
            "{{ recipient.name }},\n\n"
            "order #{{ order.number }} ({{ order.service }}, {{ order.item }}) sudah memakai tiga perempat "
            "waktunya untuk “{{ sla.target }}”: tenggat {{ sla.due_at }}.\n"
            "Status: {{ status }}\n"
            "Teknisi: {{ technician.name }}\n\n"
            "{{ order_url }}",
            "",
        ),
        Kind.SLA_BREACHED: Texts(
            "Tenggat terlewat: order #{{ order.number }}, {{ sla.target }}",
            "{{ recipient.name }},\n\n"
            "order #{{ order.number }} ({{ order.service }}, {{ order.item }}) melewati tenggat "
            "“{{ sla.target }}”: seharusnya {{ sla.due_at }}.\n"
            "Status: {{ status }}\n"
            "Teknisi: {{ technician.name }}\n\n"
            "{{ order_url }}",
            "",
        ),
        Kind.DOCUMENT: Texts(
            "{{ document.title }} {{ document.number }} · order #{{ order.number }}",
            "Halo, {{ client.name }}!\n\n"
            "Terlampir: {{ document.title }} {{ document.number }} untuk order Anda "
            "#{{ order.number }} ({{ order.item }}).\n\n"
            "Status order: {{ public_url }}" + _SIGNATURE_ID,
            "",
        ),
        Kind.COMPLAINT_ANSWER: Texts(
            "Komplain Anda tentang order #{{ order.number }}",
            "Halo, {{ client.name }}!\n\n"
            "Terima kasih sudah memberi tahu kami tentang masalah pada order Anda #{{ order.number }} "
            "({{ order.item }}). Kami sudah menindaklanjutinya:\n\n"
            "{{ complaint.resolution }}\n\n"
            "Jika ada pertanyaan, hubungi kami di {{ tenant.phone }}." + _SIGNATURE_ID,
            "{{ tenant.name }}: tentang komplain Anda untuk order #{{ order.number }}: {{ complaint.resolution }}",
        ),
    },
}


def default_texts(kind: str, language: str) -> Texts:
    """The shipped text; languages without their own texts fall back to English."""
    return DEFAULTS.get(language, DEFAULTS["en"])[Kind(kind)]
