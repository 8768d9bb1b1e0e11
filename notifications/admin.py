from django.contrib import admin

from .models import MessageTemplate, Notification, NotificationSettings


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "tenant",
        "order",
        "kind",
        "channel",
        "recipient",
        "state",
        "attempts",
        "created_at",
        "sent_at",
    ]
    list_filter = ["state", "channel", "kind"]
    search_fields = ["recipient", "source_key"]
    raw_id_fields = ["tenant", "order", "event", "recipient_user", "resent_from"]
    readonly_fields = ["claim_token", "claimed_at"]


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ["tenant", "kind", "language", "updated_at"]
    raw_id_fields = ["tenant", "updated_by"]


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(admin.ModelAdmin):
    list_display = ["tenant", "quiet_from", "quiet_to"]
    raw_id_fields = ["tenant"]
