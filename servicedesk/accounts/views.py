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
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited

from servicedesk.tenancy.models import Invitation
from servicedesk.tenancy.services import (
    InvitationUnusable,
    check_invitation_usable,
    confirm_email,
    create_tenant_with_owner,
)
from servicedesk.tenancy.services import (
    accept_invitation as accept,
)

from . import limits
from .confirmation import LinkExpired, send_confirmation, send_signup_attempt_notice, user_for_token
from .forms import InvitationSignupForm, LoginForm, ProfileForm, SignupForm
from .models import User

BACKEND = "django.contrib.auth.backends.ModelBackend"


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """A new center with its owner. The answer is the same whether the address has an account or not
    ("check your inbox"); a new address gets a confirmation link, an existing one a notice. Rate-limited
    per IP: any posts (a burst), and completed sign-ups."""
    if request.method == "POST" and limits.signup_burst_limited(request):
        return _signup_too_many(request, retry_after=60)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if limits.signup_limited(request):
            return _signup_too_many(request, retry_after=3600)
        data = form.cleaned_data
        existing = User.objects.filter(email=data["email"]).first()
        if existing is not None:
            # Hash the password anyway, as the new-address path does: most of its time, so the answer's
            # timing does not tell the two apart either (Django's log-in does the same for unknown users).
            User().set_password(data["password2"])
            send_signup_attempt_notice(existing)
            return redirect("accounts:signup_sent")
        try:
            with transaction.atomic():
                user = User.objects.create_user(data["email"], data["password2"], full_name=data["full_name"])
                create_tenant_with_owner(
                    tenant_name=data["tenant_name"],
                    slug=data["slug"],
                    owner=user,
                    location_name=data["location_name"],
                    location_address=data["location_address"],
                    language=data["language"],
                    time_zone=data["time_zone"],
                    country=data["country"],
                    starter_catalogue=data["starter_catalogue"],
                )
        except (IntegrityError, ValidationError):
            existing = User.objects.filter(email=data["email"]).first()
            if existing is None:
                # Someone took the center's address between the form's check and the save.
                form.add_error(
                    None, _("This address or e-mail was taken a moment ago. Check the form and try again.")
                )
                return render(request, "accounts/signup.html", {"form": form})
            send_signup_attempt_notice(existing)  # the e-mail was signed up a moment ago: same answer
        else:
            send_confirmation(user)
        return redirect("accounts:signup_sent")
    return render(request, "accounts/signup.html", {"form": form})


def _signup_too_many(request: HttpRequest, *, retry_after: int) -> HttpResponse:
    response = render(request, "accounts/signup_limited.html", status=429)
    response["Retry-After"] = str(retry_after)
    return response


@require_GET
def signup_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/signup_sent.html")


@require_GET
def confirm_email_view(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the confirmation mail. GET on purpose: confirming is harmless and idempotent."""
    try:
        user = user_for_token(token) if len(token) <= 500 else None
    except LinkExpired:
        return render(request, "accounts/confirm_email_expired.html", status=410)
    if user is None:
        raise Http404("Unknown confirmation link.")
    confirm_email(user)
    return render(request, "accounts/confirm_email_done.html", {"confirmed_user": user})


@login_required
@require_POST
def resend_confirmation(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.email_confirmed_at is not None:
        messages.info(request, _("Your e-mail address is already confirmed."))
    elif is_ratelimited(
        request, group="resend-confirmation", key="user", rate="5/h", method="POST", increment=True
    ):
        messages.error(request, _("We have sent several links already. Wait an hour and try again."))
    else:
        send_confirmation(user)
        messages.success(request, _("We sent a new link to %(email)s.") % {"email": user.email})
    return redirect("home")


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
                return render(
                    request, "accounts/invitation_unusable.html", {"reason": str(problem)}, status=410
                )
            messages.success(request, _("You joined %(tenant)s.") % {"tenant": membership.tenant.name})
            return redirect("orders:dashboard", tenant_slug=membership.tenant.slug)
        return render(request, "accounts/invitation_accept.html", {"invitation": invitation})

    if existing is not None:
        # The invitee has an account: log in first, then come back to accept.
        messages.info(
            request, _("Log in as %(email)s to accept the invitation.") % {"email": invitation.email}
        )
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
        return redirect("orders:dashboard", tenant_slug=membership.tenant.slug)
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
