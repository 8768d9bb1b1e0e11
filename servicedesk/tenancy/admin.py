from django.contrib import admin

from .models import Invitation, Location, Membership, Tenant


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "language", "time_zone", "is_active", "created_at"]
    search_fields = ["name", "slug"]


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "tenant", "kind", "is_active"]
    list_filter = ["kind"]
    list_select_related = ["tenant"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "tenant", "role", "is_active"]
    list_filter = ["role", "is_active"]
    list_select_related = ["user", "tenant"]
    raw_id_fields = ["user"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "tenant", "role", "created_at", "expires_at", "accepted_at", "revoked_at"]
    exclude = ["token_hash"]
