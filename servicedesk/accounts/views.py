from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from servicedesk.tenancy.models import Invitation
from servicedesk.tenancy.services import (
    InvitationUnusable,
    check_invitation_usable,
    create_tenant_with_owner,
)
from servicedesk.tenancy.services import (
    accept_invitation as accept,
)

from . import limits
from .forms import InvitationSignupForm, LoginForm, ProfileForm, SignupForm
from .models import User

BACKEND = "django.contrib.auth.backends.ModelBackend"


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                user = User.objects.create_user(data["email"], data["password2"], full_name=data["full_name"])
                tenant = create_tenant_with_owner(
                    tenant_name=data["tenant_name"],
                    slug=data["slug"],
                    owner=user,
                    location_name=data["location_name"],
                    location_address=data["location_address"],
                    language=data["language"],
                    time_zone=data["time_zone"],
                )
        except (IntegrityError, ValidationError):
            # Someone took the address or e-mail between the form's checks and the save.
            form.add_error(None, _("This address or e-mail was taken a moment ago. Check the form and try again."))
        else:
            login(request, user, backend=BACKEND)
            messages.success(request, _("Welcome! %(tenant)s is ready. Invite your staff next.") % {"tenant": tenant.name})
            return redirect("tenancy:dashboard", tenant_slug=tenant.slug)
    return render(request, "accounts/signup.html", {"form": form})


@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = Invitation.find_by_token(token)
    if invitation is None:
        raise Http404("Unknown invitation.")
    try:
        check_invitation_usable(invitation)
    except InvitationUnusable as problem:
        return render(request, "accounts/invitation_unusable.html", {"reason": str(problem)}, status=410)

    existing = User.objects.filter(email=invitation.email).first()
    if request.user.is_authenticated:
        if request.method == "POST":
            try:
                membership = accept(invitation=invitation, user=request.user)
            except InvitationUnusable as problem:
                return render(request, "accounts/invitation_unusable.html", {"reason": str(problem)}, status=410)
            messages.success(request, _("You joined %(tenant)s.") % {"tenant": membership.tenant.name})
            return redirect("tenancy:dashboard", tenant_slug=membership.tenant.slug)
        return render(request, "accounts/invitation_accept.html", {"invitation": invitation})

    if existing is not None:
        # The invitee has an account: log in first, then come back to accept.
        messages.info(request, _("Log in as %(email)s to accept the invitation.") % {"email": invitation.email})
        return redirect(f"{_login_url()}?next={request.path}")

    form = InvitationSignupForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    invitation.email, form.cleaned_data["password2"], full_name=form.cleaned_data["full_name"]
                )
                membership = accept(invitation=invitation, user=user)
        except InvitationUnusable as problem:
            return render(request, "accounts/invitation_unusable.html", {"reason": str(problem)}, status=410)
        login(request, user, backend=BACKEND)
        messages.success(request, _("Welcome to %(tenant)s.") % {"tenant": membership.tenant.name})
        return redirect("tenancy:dashboard", tenant_slug=membership.tenant.slug)
    return render(request, "accounts/invitation_signup.html", {"invitation": invitation, "form": form})


class LoginView(auth_views.LoginView):
    """Django's log-in page, except that a `next` pointing back at the log-in page is ignored: for a
    logged-in visitor Django would raise "Redirection loop" (a 500) on /accounts/login/?next=/accounts/login/.

    Besides django-axes (per username and IP), failed log-ins are counted per IP across usernames: an IP
    over LOGIN_IP_FAILURE_RATE is refused before any password is checked."""

    authentication_form = LoginForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if limits.login_failures_reached(request):
            return render(request, "accounts/locked_out.html", {"whole_ip": True}, status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form) -> HttpResponse:
        limits.count_login_failure(self.request)
        return super().form_invalid(form)

    def get_redirect_url(self) -> str:
        url = super().get_redirect_url()
        return "" if urlsplit(url).path == self.request.path else url


def _login_url() -> str:
    from django.urls import reverse

    return reverse("accounts:login")


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Profile saved."))
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})
