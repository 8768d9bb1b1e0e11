"""What the API answers with (output only: input goes through the web's forms, api.inputs).

Every serializer reads fields of rows the view fetched with their relations (select_related), so a
list costs the same number of queries however long it is (tests/api/test_query_counts.py).
"""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from orders.models import Client, Item, LineItem, Order, OrderEvent, Payment, ServiceType
from orders.presentation import public_status_url
from servicedesk.tenancy.roles import Perm, has_perm


def _may(context: dict, perm: Perm) -> bool:
    request = context.get("request")
    return request is not None and has_perm(request.membership.role, perm)


class Ref(serializers.Serializer):
    """Another row named by id and name."""

    id = serializers.IntegerField()
    name = serializers.CharField()


class PersonRef(serializers.Serializer):
    id = serializers.IntegerField(help_text="Membership id")
    name = serializers.CharField(source="user.full_name")


class ClientSerializer(serializers.ModelSerializer):
    class Meta:
        model = Client
        fields = [
            "id",
            "name",
            "phone",
            "email",
            "notify_email",
            "notify_sms",
            "notes",
            "consent_at",
            "consent_version",
            "created_at",
        ]


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ["id", "client", "kind", "brand", "model", "serial", "created_at"]


class ServiceTypeSerializer(serializers.ModelSerializer):
    formats = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = ServiceType
        fields = [
            "id",
            "name",
            "description",
            "formats",
            "needs_item",
            "default_duration_minutes",
            "base_price",
            "warranty_days",
            "target_days",
            "equipment",
            "materials",
            "is_active",
        ]


class OrderClientSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    phone = serializers.CharField(required=False, help_text="Only for roles that see clients' contacts")
    email = serializers.CharField(required=False, help_text="Only for roles that see clients' contacts")

    def to_representation(self, client):
        data = {"id": client.pk, "name": client.name}
        if _may(self.context, Perm.CLIENTS_VIEW):
            data |= {"phone": client.phone, "email": client.email}
        return data


class OrderItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ["id", "kind", "brand", "model", "serial"]


class OrderSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display")
    stage = serializers.CharField()
    client = OrderClientSerializer()
    item = OrderItemSerializer(allow_null=True)
    service_type = Ref()
    intake_location = Ref()
    workshop = Ref(allow_null=True)
    technician = PersonRef(allow_null=True)
    amount_due = serializers.DecimalField(max_digits=12, decimal_places=2)
    credit_amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    is_overdue = serializers.BooleanField()
    public_url = serializers.SerializerMethodField(help_text="The client's status page (no log-in needed)")

    class Meta:
        model = Order
        fields = [
            "number",
            "version",
            "status",
            "status_label",
            "stage",
            "priority",
            "format",
            "client",
            "item",
            "service_type",
            "intake_location",
            "workshop",
            "technician",
            "problem",
            "terms",
            "item_condition",
            "item_accessories",
            "promised_at",
            "visit_address",
            "visit_start",
            "visit_end",
            "estimate",
            "estimate_state",
            "approved_amount",
            "total_amount",
            "paid_amount",
            "amount_due",
            "credit_amount",
            "is_overdue",
            "warranty_until",
            "created_at",
            "status_changed_at",
            "closed_at",
            "public_url",
        ]

    def get_public_url(self, order) -> str:
        return public_status_url(order)


class OrderDetailSerializer(OrderSerializer):
    actions = serializers.SerializerMethodField(
        help_text="The status actions this key may take now (POST /orders/{number}/actions/{action}/)"
    )

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "actions"]

    def get_actions(self, order) -> list[str]:
        from orders.lifecycle import available_actions

        return [t.action for t in available_actions(order, self.context["request"].membership)]


class EventSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display")
    # What happened, in the request's language (orders/event_text.py); `message` is only what a person wrote.
    text = serializers.CharField(source="display_text", read_only=True)
    actor = serializers.SerializerMethodField()

    class Meta:
        model = OrderEvent
        fields = [
            "id",
            "kind",
            "kind_label",
            "created_at",
            "text",
            "message",
            "is_public",
            "action",
            "from_status",
            "to_status",
            "actor",
            "by_client",
        ]

    def get_actor(self, event) -> str | None:
        return event.actor.full_name if event.actor else None


class LineItemSerializer(serializers.ModelSerializer):
    performed_by = PersonRef(allow_null=True)

    class Meta:
        model = LineItem
        fields = [
            "id",
            "kind",
            "description",
            "quantity",
            "unit_price",
            "amount",
            "performed_by",
            "created_at",
        ]


class PaymentSerializer(serializers.ModelSerializer):
    received_by = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = ["id", "kind", "method", "amount", "note", "received_by", "created_at"]

    def get_received_by(self, payment) -> str | None:
        return payment.received_by.full_name if payment.received_by else None


# --- Technicians and stock ---------------------------------------------------------------------------
class TechnicianSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Membership id: what an order's technician refers to")
    name = serializers.CharField()
    role = serializers.CharField()
    takes_jobs = serializers.BooleanField()
    does_visits = serializers.BooleanField()
    home_workshop = Ref(allow_null=True)
    skills = Ref(many=True, help_text="Service types this person does")

    def to_representation(self, pair):
        member, profile = pair
        workshop = profile.home_workshop if profile.home_workshop_id else None
        skills = [row.service_type for row in profile.skill_rows.all()] if profile.pk else []
        return {
            "id": member.pk,
            "name": member.user.full_name,
            "role": member.role,
            "takes_jobs": profile.is_active,
            "does_visits": profile.does_visits,
            "home_workshop": {"id": workshop.pk, "name": workshop.name} if workshop else None,
            "skills": [{"id": s.pk, "name": s.name} for s in skills],
        }


class PartRef(serializers.Serializer):
    id = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()


class StockLevelSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    part = PartRef()
    location = Ref()
    on_hand = serializers.DecimalField(max_digits=12, decimal_places=3)
    reserved = serializers.DecimalField(max_digits=12, decimal_places=3)
    available = serializers.DecimalField(max_digits=12, decimal_places=3)
    min_level = serializers.DecimalField(max_digits=12, decimal_places=3)

    def to_representation(self, level):
        return {
            "id": level.pk,
            "part": {"id": level.part_id, "sku": level.part.sku, "name": level.part.name},
            "location": {"id": level.location_id, "name": level.location.name},
            "on_hand": str(level.on_hand),
            "reserved": str(level.reserved),
            "available": str(level.on_hand - level.reserved),
            "min_level": str(level.min_level),
        }


class LevelOfPart(serializers.Serializer):
    location = Ref()
    on_hand = serializers.DecimalField(max_digits=12, decimal_places=3)
    reserved = serializers.DecimalField(max_digits=12, decimal_places=3)


class PartSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    sale_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    cost_price = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, help_text="Only for roles that manage stock"
    )
    is_active = serializers.BooleanField()
    levels = LevelOfPart(many=True)

    def to_representation(self, part):
        data = {
            "id": part.pk,
            "sku": part.sku,
            "name": part.name,
            "unit": part.unit,
            "sale_price": str(part.sale_price),
            "is_active": part.is_active,
            "levels": [
                {
                    "location": {"id": level.location_id, "name": level.location.name},
                    "on_hand": str(level.on_hand),
                    "reserved": str(level.reserved),
                }
                for level in part.levels.all()
            ],
        }
        if _may(self.context, Perm.STOCK_MANAGE):
            data["cost_price"] = str(part.cost_price)
        return data


# --- Documents and feedback ----------------------------------------------------------------------------
class DocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order = serializers.IntegerField(help_text="Order number")
    kind = serializers.CharField()
    number = serializers.CharField(help_text="The printed number, e.g. A-2026-00012")
    version = serializers.IntegerField()
    language = serializers.CharField()
    issued_at = serializers.DateTimeField()
    issued_by = serializers.CharField()
    pages = serializers.IntegerField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    pdf = serializers.CharField(help_text="Where to GET the PDF (with the same key)")

    def to_representation(self, document):
        return {
            "id": document.pk,
            "order": document.order.number,
            "kind": document.kind,
            "number": document.display_number,
            "version": document.version,
            "language": document.language,
            "issued_at": serializers.DateTimeField().to_representation(document.issued_at),
            "issued_by": document.issued_by_name,
            "pages": document.pages,
            "size": document.size,
            "sha256": document.sha256,
            "pdf": reverse("api:document_pdf", args=[document.pk]),
        }


class FeedbackSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order = serializers.IntegerField(help_text="Order number")
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField()
    technician = PersonRef(allow_null=True)
    created_at = serializers.DateTimeField()

    def to_representation(self, feedback):
        technician = feedback.technician
        return {
            "id": feedback.pk,
            "order": feedback.order.number,
            "rating": feedback.rating,
            "comment": feedback.comment,
            "technician": {"id": technician.pk, "name": technician.user.full_name} if technician else None,
            "created_at": serializers.DateTimeField().to_representation(feedback.created_at),
        }


class KeyInfoSerializer(serializers.Serializer):
    center = serializers.CharField()
    center_slug = serializers.CharField()
    time_zone = serializers.CharField()
    currency = serializers.CharField()
    key = serializers.CharField(help_text="The key's name")
    role = serializers.CharField()
    permissions = serializers.ListField(child=serializers.CharField())


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="invalid, refused, changed, forbidden, not_found, unauthenticated, throttled ..."
    )
    detail = serializers.CharField(help_text="The sentence the web page would show")
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)
