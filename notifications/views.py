"""Pages: the tenant's outbox (failed, queued, sent) with resend; message texts with preview; quiet hours."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from orders.models import Order
from orders.permissions import ActorRefused
from servicedesk.tenancy.access import TenantRequest, get_for_tenant_or_404, tenant_view
from servicedesk.tenancy.roles import Perm

from . import outbox, templating, texts
from .content import Rendered, build_context, render_message, texts_in_force
from .defaults import Texts, default_texts
from .events import ORDER_RELATED
from .forms import MessageTextsForm, QuietHoursForm
from .models import (
    EMAIL_ONLY_KINDS,
    STAFF_KINDS,
    Channel,
    Kind,
    MessageTemplate,
    Notification,
    NotificationSettings,
    State,
)

PAGE_SIZE = 50
STATE_TABS = ["unknown", "failed", "pending", "sent", "all"]


@tenant_view(Perm.NOTIFICATIONS_MANAGE)
@require_GET
def notification_list(request: TenantRequest) -> HttpResponse:
    """The outbox of this tenant, newest first, one state at a time (keyset pages on id)."""
    tenant = request.tenant
    scoped = Notification.objects.for_tenant(tenant)
    counts = scoped.filter(state__in=[State.FAILED, State.UNKNOWN]).aggregate(
        failed=Count("pk", filter=Q(state=State.FAILED)), unknown=Count("pk", filter=Q(state=State.UNKNOWN))
    )
    failed_count, unknown_count = counts["failed"], counts["unknown"]
    state = request.GET.get("state") or ("unknown" if unknown_count else "failed" if failed_count else "all")
    if state not in STATE_TABS:
        state = "all"
    rows = scoped.select_related("order", "decided_by").order_by("-id")
    if state != "all":
        rows = rows.filter(state=state)
    before = request.GET.get("before", "")
    if before.isdigit() and len(before) <= 18:  # a bigint; anything else is ignored
        rows = rows.filter(pk__lt=int(before))
    page = list(rows[: PAGE_SIZE + 1])
    more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    next_url = ""
    if more:
        next_url = "?" + urlencode({"state": state, "before": page[-1].pk})
    return render(
        request,
        "notifications/list.html",
        {
            "rows": page,
            "state": state,
            "tabs": [(tab, _tab_label(tab)) for tab in STATE_TABS],
            "failed_count": failed_count,
            "unknown_count": unknown_count,
            "next_url": next_url,
            "first_page": not before,
        },
    )


def _tab_label(tab: str) -> str:
    return {
        "unknown": _("Needs a decision"),
        "failed": _("Failed"),
        "pending": _("Queued"),
        "sent": _("Sent"),
        "all": _("All"),
    }[tab]


@tenant_view(Perm.NOTIFICATIONS_MANAGE)
@require_POST
def resend(request: TenantRequest, notification_id: int) -> HttpResponse:
    row = get_for_tenant_or_404(
        Notification.objects.select_related("tenant", "order__client"), request.tenant, pk=notification_id
    )
    try:
        copy = outbox.resend(row, by=request.membership)
    except (outbox.ResendRefused, ActorRefused) as refusal:
        messages.error(request, str(refusal))
    else:
        if copy.is_held:
            messages.info(request, _("Queued again; it waits for the end of the SMS quiet hours."))
        else:
            messages.success(
                request,
                _("Queued again: %(what)s to %(to)s.")
                % {"what": row.get_kind_display(), "to": row.recipient},
            )
    return _back(request)


def _back(request: TenantRequest) -> HttpResponse:
    # Back to the page the button was on (the outbox, an order's panel): a path on this site, never a
    # view name or another host (redirect() would try to reverse "abc" and fail with a 500).
    target = request.POST.get("next", "")
    if (
        target.startswith("/")
        and target.isprintable()
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return HttpResponseRedirect(target)
    return redirect("notifications:list", tenant_slug=request.tenant.slug)


@tenant_view(Perm.NOTIFICATIONS_MANAGE)
@require_POST
def decide(request: TenantRequest, notification_id: int) -> HttpResponse:
    """An ambiguous send (state "needs a decision"): "Mark as sent" or "Send again" (outbox.decide checks who)."""
    row = get_for_tenant_or_404(
        Notification.objects.select_related("tenant", "order__client"), request.tenant, pk=notification_id
    )
    try:
        row = outbox.decide(row, request.POST.get("decision", ""), by=request.membership)
    except outbox.ResendRefused as refusal:
        messages.error(request, str(refusal))
    else:
        if row.state == State.SENT:
            messages.success(
                request,
                _("Marked as sent: %(what)s to %(to)s.")
                % {"what": row.get_kind_display(), "to": row.recipient},
            )
        elif row.is_held:
            messages.info(request, _("Queued again; it waits for the end of the SMS quiet hours."))
        else:
            messages.success(
                request,
                _("Queued again: %(what)s to %(to)s.")
                % {"what": row.get_kind_display(), "to": row.recipient},
            )
    return _back(request)


@tenant_view(Perm.NOTIFICATIONS_MANAGE)
@require_http_methods(["GET", "POST"])
def notification_settings(request: TenantRequest) -> HttpResponse:
    """Quiet hours, and every message kind per language: the shipped text or the tenant's own."""
    tenant = request.tenant
    instance = NotificationSettings.for_tenant(tenant)
    form = QuietHoursForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        form.instance.tenant = tenant
        texts.save_quiet_hours(form.save(commit=False), by=request.membership)
        messages.success(request, _("Quiet hours saved."))
        return redirect("notifications:settings", tenant_slug=tenant.slug)
    custom = set(MessageTemplate.objects.for_tenant(tenant).values_list("kind", "language"))
    languages = list(settings.LANGUAGES)
    kinds = [
        {
            "kind": kind,
            "label": kind.label,
            "staff": kind in STAFF_KINDS,
            "languages": [
                {
                    "code": code,
                    "name": name,
                    "custom": (kind.value, code) in custom,
                    "url": reverse("notifications:template_edit", kwargs={"tenant_slug": tenant.slug})
                    + "?"
                    + urlencode({"kind": kind.value, "lang": code}),
                }
                for code, name in languages
            ],
        }
        for kind in Kind
    ]
    return render(request, "notifications/settings.html", {"form": form, "kinds": kinds})


def _sample_context(request: TenantRequest, language: str) -> tuple[dict[str, str], Order | None]:
    """Preview values: the tenant's latest order, or made-up ones while there is none."""
    order = (
        Order.objects.for_tenant(request.tenant)
        .select_related(*ORDER_RELATED)
        .order_by("-created_at", "-id")
        .first()
    )
    examples = {  # what a document e-mail or a low-rating alert would name
        "document_title": "Completion act" if language == "en" else "Акт выполненных работ",
        "document_number": f"A-{request.tenant.local_date().year}-00042",  # numbered by the center's year
        "feedback_rating": "2",
        "feedback_comment": "Ready two days late." if language == "en" else "Готово на два дня позже.",
        "complaint_resolution": (
            "We apologise for the delay and refund 10% of the bill."
            if language == "en"
            else "Приносим извинения за задержку и возвращаем 10% стоимости."
        ),
    }
    if order is not None:
        return build_context(
            order, language=language, recipient_name=request.user.get_full_name(), **examples
        ), order
    tenant = request.tenant
    sample = {name: f"[{name}]" for name in templating.VARIABLES}
    sample.update(
        {
            "order.number": "1042",
            "client.name": "Anna Smirnova" if language == "en" else "Анна Смирнова",
            "tenant.name": tenant.name,
            "tenant.phone": tenant.phone,
            "tenant.email": tenant.email,
            "tenant.website": tenant.website,
            "public_url": f"{settings.SITE_URL}/s/EXAMPLE-TOKEN/",
            "feedback_url": f"{settings.SITE_URL}/s/EXAMPLE-TOKEN/",
            "recipient.name": request.user.get_full_name(),
            "document.title": examples["document_title"],
            "document.number": examples["document_number"],
            "feedback.rating": examples["feedback_rating"],
            "feedback.comment": examples["feedback_comment"],
            "complaint.resolution": examples["complaint_resolution"],
        }
    )
    return sample, None


@tenant_view(Perm.NOTIFICATIONS_MANAGE)
@require_http_methods(["GET", "POST"])
def template_edit(request: TenantRequest) -> HttpResponse:
    """One kind in one language (?kind=…&lang=…): edit, preview, save, or go back to the shipped text."""
    tenant = request.tenant
    kind = request.GET.get("kind", "")
    language = request.GET.get("lang", "")
    if kind not in Kind.values or language not in dict(settings.LANGUAGES):
        raise Http404("Unknown message or language.")
    kind = Kind(kind)
    with_sms = kind not in EMAIL_ONLY_KINDS
    override = MessageTemplate.objects.for_tenant(tenant).filter(kind=kind, language=language).first()
    default = default_texts(kind, language)
    current = texts_in_force(tenant.pk, kind, language) if override else default
    initial = {
        "email_subject": current.email_subject,
        "email_body": current.email_body,
        "sms_body": current.sms_body,
    }
    action = request.POST.get("action", "preview") if request.method == "POST" else ""
    form = MessageTextsForm(
        request.POST if action in {"preview", "save"} else None, initial=initial, with_sms=with_sms
    )
    here = request.path + "?" + urlencode({"kind": kind.value, "lang": language})

    if action == "reset":
        texts.reset_texts(tenant, kind, language, by=request.membership)
        messages.success(request, _("The standard text is back in use."))
        return redirect(here)

    preview_texts: Texts = current
    if action in {"preview", "save"} and form.is_valid():
        data = form.cleaned_data
        preview_texts = Texts(data["email_subject"], data["email_body"], data.get("sms_body", ""))
        if action == "save":
            texts.save_texts(
                tenant,
                kind,
                language,
                email_subject=data["email_subject"],
                email_body=data["email_body"],
                sms_body=data.get("sms_body", ""),
                by=request.membership,
            )
            messages.success(request, _("Saved: new messages use this text."))
            return redirect(here)

    preview_email: Rendered | None = None
    preview_sms: Rendered | None = None
    sms_info = None
    context, sample_order = _sample_context(request, language)
    if not form.is_bound or form.is_valid():
        preview_email = render_message(preview_texts, Channel.EMAIL, context)
        if with_sms:
            preview_sms = render_message(preview_texts, Channel.SMS, context)
            sms_info = templating.sms_size(preview_sms.body)
    return render(
        request,
        "notifications/template_edit.html",
        {
            "form": form,
            "kind": kind,
            "language": language,
            "language_name": dict(settings.LANGUAGES)[language],
            "is_custom": override is not None,
            "with_sms": with_sms,
            "variables": list(templating.VARIABLES.items()),
            "preview_email": preview_email,
            "preview_sms": preview_sms,
            "sms_info": sms_info,
            "sample_order": sample_order,
            "here": here,
        },
    )
