"""Views of the documents app. Every one is wrapped in tenant_view and looks objects up by tenant.

The stored PDF is served by `document_file` (never a public media URL): the archive is what was
issued, byte for byte, and only members of the tenant who may issue documents can read it.
"""

from __future__ import annotations

import base64
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from orders.access import order_or_404, to_order
from orders.permissions import ActorRefused
from servicedesk.pagecache import cached_page
from servicedesk.pagination import SortKey, keyset_page, query_without_cursor
from servicedesk.tenancy import privacy as policies
from servicedesk.tenancy.access import TenantRequest, get_for_tenant_or_404, tenant_view
from servicedesk.tenancy.models import PrivacyPolicy
from servicedesk.tenancy.roles import Perm
from servicedesk.web import url_maker

from . import sandbox, services
from .forms import BatchForm, DocumentSettingsForm, KindLanguageForm, PrivacyPolicyForm, TemplateForm
from .models import Document, DocumentSettings, DocumentTemplate, Kind
from .variables import flat_schema

PDF_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-store",
    "Referrer-Policy": "no-referrer",
}


def _pdf_response(content, filename: str, *, inline: bool = True) -> HttpResponse:
    disposition = "inline" if inline else "attachment"
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "")
    response = (
        FileResponse(content, content_type="application/pdf")
        if hasattr(content, "read")
        else HttpResponse(content, content_type="application/pdf")
    )
    response["Content-Disposition"] = (
        f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    for header, value in PDF_HEADERS.items():
        response[header] = value
    return response


# --- Issuing and reading ---------------------------------------------------------------------------
@tenant_view(Perm.DOCUMENTS_ISSUE)
@require_POST
def issue(request: TenantRequest, order_number: int) -> HttpResponse:
    """One click: render now, in the request, then show the stored PDF (or go back with the reason)."""
    order = order_or_404(request, order_number)
    form = KindLanguageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a document and a language."))
        return to_order(request, order)
    try:
        document = services.issue(
            order, form.cleaned_data["kind"], form.cleaned_data["language"], by=request.membership
        )
    except (ValidationError, ActorRefused) as error:
        messages.error(request, " ".join(error.messages))
        return to_order(request, order)
    messages.success(
        request,
        _("Issued %(title)s %(number)s.")
        % {"title": document.get_kind_display(), "number": document.display_number},
    )
    if request.POST.get("then") == "open":
        return redirect("documents:file", tenant_slug=request.tenant.slug, document_id=document.pk)
    return to_order(request, order)


@tenant_view(Perm.DOCUMENTS_ISSUE)
@require_GET
def document_file(request: TenantRequest, document_id: int) -> HttpResponse:
    """The stored PDF, exactly as issued. ?download=1 saves it instead of opening it."""
    document = get_for_tenant_or_404(Document.objects.select_related("order"), request.tenant, pk=document_id)
    try:
        handle = document.file.open("rb")
    except (FileNotFoundError, OSError, ValueError):  # ValueError: no file attached at all
        raise Http404("The stored file is missing.") from None
    return _pdf_response(handle, document.filename, inline=request.GET.get("download") != "1")


@tenant_view(Perm.DOCUMENTS_ISSUE)
@require_POST
def email(request: TenantRequest, document_id: int) -> HttpResponse:
    document = get_for_tenant_or_404(
        Document.objects.select_related("order__client"), request.tenant, pk=document_id
    )
    try:
        address = services.email_to_client(document, by=request.membership)
    except (ValidationError, ActorRefused) as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("%(number)s is on its way to %(email)s.")
            % {"number": document.display_number, "email": address},
        )
    return to_order(request, document.order)


ARCHIVE_PAGE_SIZE = 50


@tenant_view(Perm.DOCUMENTS_ISSUE)
@require_http_methods(["GET", "POST"])
@cached_page
def archive(request: TenantRequest) -> HttpResponse:
    """Every issued document of the tenant, newest first; and the batch form (issued by a Celery task)."""
    from .tasks import issue_documents_task

    batch_form = BatchForm(request.POST or None, initial={"language": request.tenant.language})
    if request.method == "POST":
        if batch_form.is_valid():
            data = batch_form.cleaned_data
            try:
                issue_documents_task.delay(
                    request.tenant.pk, data["orders"], data["kind"], data["language"], request.membership.pk
                )
            except Exception:
                messages.error(request, _("The task queue is not reachable; try again in a minute."))
            else:
                messages.success(
                    request,
                    _("Issuing %(count)s documents in the background; they appear here when ready.")
                    % {"count": len(data["orders"])},
                )
                return redirect("documents:archive", tenant_slug=request.tenant.slug)
    documents = Document.objects.for_tenant(request.tenant).select_related("order", "order__client")
    kind = request.GET.get("kind", "")
    if kind in Kind.values:
        documents = documents.filter(kind=kind)
    # Keyset pages (the order list's): a numbered Paginator counted the whole archive on every view, a cost
    # that grew with the center's history (issue 12: 70 ms at 100,000 orders on PostgreSQL).
    page = keyset_page(
        documents,
        [SortKey("issued_at", True), SortKey("id", True)],
        request.GET.get("cursor"),
        ARCHIVE_PAGE_SIZE,
    )
    # Each row's two links from one reverse() per page: Django's reverse() was a third of the rows' time.
    order_url, file_url = (
        url_maker("orders:detail", request.tenant.slug),
        url_maker("documents:file", request.tenant.slug),
    )
    for document in page.rows:
        document.order_url = order_url(document.order.number)
        document.file_url = file_url(document.pk)
    return render(
        request,
        "documents/archive.html",
        {
            "page": page,
            "documents": page.rows,
            "query": query_without_cursor(request.GET),
            "kind": kind,
            "kinds": Kind.choices,
            "batch_form": batch_form,
        },
    )


# --- Tenant's paper details ------------------------------------------------------------------------
def _data_uri(field) -> str:
    if not field:
        return ""
    try:
        with field.open("rb") as handle:
            data = handle.read()
    except (FileNotFoundError, OSError):
        return ""
    mime = "image/png" if field.name.endswith(".png") else "image/jpeg"
    return f"data:{mime};base64," + base64.b64encode(data).decode()


@tenant_view(Perm.DOCUMENTS_MANAGE)
@require_http_methods(["GET", "POST"])
def paper_settings(request: TenantRequest) -> HttpResponse:
    instance = DocumentSettings.for_tenant(request.tenant)
    form = DocumentSettingsForm(request.POST or None, request.FILES or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        paper = form.save(commit=False)
        paper.tenant = request.tenant
        services.save_paper_settings(paper, by=request.membership)
        messages.success(request, _("Document details saved."))
        return redirect("documents:settings", tenant_slug=request.tenant.slug)
    previews = {name: _data_uri(getattr(instance, name)) for name in ("logo", "signature", "stamp")}
    return render(request, "documents/settings.html", {"form": form, "previews": previews})


# --- Templates -------------------------------------------------------------------------------------
@tenant_view(Perm.DOCUMENTS_MANAGE)
@require_GET
def template_list(request: TenantRequest) -> HttpResponse:
    own = {
        (t.kind, t.language): t
        for t in DocumentTemplate.objects.for_tenant(request.tenant).select_related("updated_by")
    }
    rows = [
        {
            "kind": kind,
            "label": label,
            "languages": [
                {"code": code, "name": name, "own": own.get((kind, code))}
                for code, name in settings.LANGUAGES
            ],
        }
        for kind, label in Kind.choices
    ]
    return render(request, "documents/template_list.html", {"rows": rows})


@tenant_view(Perm.DOCUMENTS_MANAGE)
@require_http_methods(["GET", "POST"])
def template_edit(request: TenantRequest) -> HttpResponse:
    """Edit the tenant's version of one kind in one language (?kind=...&language=...)."""
    which = KindLanguageForm(request.GET)
    if not which.is_valid():
        raise Http404("No such template.")
    kind, language = which.cleaned_data["kind"], which.cleaned_data["language"]
    own = DocumentTemplate.objects.for_tenant(request.tenant).filter(kind=kind, language=language).first()
    default = services.default_template(kind, language)
    action = request.POST.get("action", "save")
    form = TemplateForm(request.POST or None, initial={"body": own.body if own else default})
    if request.method == "POST":
        if action == "reset":
            services.reset_template(request.tenant, kind, language, by=request.membership)
            messages.success(request, _("Back to the standard template."))
            return redirect(
                f"{reverse('documents:template_edit', args=[request.tenant.slug])}?kind={kind}&language={language}"
            )
        if form.is_valid():
            if action == "preview":
                try:
                    pdf = services.preview(request.tenant, kind, language, form.cleaned_data["body"])
                except ValidationError as error:  # TemplateRefused, or the renderer failed
                    form.add_error("body", error.messages)
                else:
                    return _pdf_response(pdf, f"preview_{kind}_{language}.pdf")
            else:
                services.save_template(
                    request.tenant, kind, language, form.cleaned_data["body"], by=request.membership
                )
                messages.success(request, _("Template saved: documents issued from now on use it."))
                return redirect(
                    f"{reverse('documents:template_edit', args=[request.tenant.slug])}?kind={kind}&language={language}"
                )
    return render(
        request,
        "documents/template_edit.html",
        {
            "form": form,
            "kind": kind,
            "kind_label": Kind(kind).label,
            "language": language,
            "own": own,
            "variables": flat_schema(),
            "allowed_tags": sandbox.ALLOWED_TAGS,
            "allowed_filters": (*sandbox.ALLOWED_FILTERS, *sandbox.OWN_FILTERS),
        },
    )


# --- Privacy policy --------------------------------------------------------------------------------
@tenant_view(Perm.ORDERS_VIEW)
@require_GET
def privacy(request: TenantRequest) -> HttpResponse:
    """The policy in force and its earlier versions (staff read it to clients; managers publish)."""
    versions = list(PrivacyPolicy.objects.for_tenant(request.tenant).select_related("published_by")[:50])
    return render(
        request,
        "documents/privacy.html",
        {
            "current": versions[0] if versions else None,
            "versions": versions,
            "fallback_version": policies.current_privacy_version(request.tenant),
        },
    )


@tenant_view(Perm.DOCUMENTS_MANAGE)
@require_http_methods(["GET", "POST"])
def privacy_publish(request: TenantRequest) -> HttpResponse:
    current = policies.current_policy(request.tenant)
    initial = {"language": request.tenant.language}
    if current is None:  # a first policy starts from the text for the center's country's law
        initial.update(
            title=policies.default_privacy_title(request.tenant),
            text=policies.default_privacy_text(request.tenant),
        )
    if current:
        initial.update(title=current.title, text=current.text, language=current.language)
    form = PrivacyPolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            policies.publish_policy(
                request.tenant,
                version=data["version"],
                language=data["language"],
                title=data["title"],
                text=data["text"],
                by=request.membership,
            )
        except ValidationError as error:
            form.add_error("version", error.messages)
        else:
            messages.success(
                request,
                _("Version %(version)s published: new consents record it.") % {"version": data["version"]},
            )
            return redirect("documents:privacy", tenant_slug=request.tenant.slug)
    return render(request, "documents/privacy_form.html", {"form": form, "current": current})
