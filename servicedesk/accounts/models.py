"""People who log in. A person is global; what they may do in a service center is a Membership."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        # Log-ins are case-insensitive: addresses are stored lower-case.
        return self.get(email=(username or "").strip().lower())


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("e-mail"), unique=True, max_length=254)
    full_name = models.CharField(_("full name"), max_length=150)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff (Django admin)"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    # Set when the person proved they read this address: the sign-up confirmation link, or accepting an
    # invitation mailed to it. Empty for a fresh sign-up (tenancy.services.confirm_email explains the gate).
    email_confirmed_at = models.DateTimeField(_("e-mail confirmed"), null=True, blank=True)
    # Part of the session hash Django checks on every request: raising it ends every session of the person
    # (end_all_sessions). 0: the hash is Django's own, so the sessions from before this field stay valid.
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        # Django's get_session_auth_hash and get_session_auth_fallback_hash (SECRET_KEY_FALLBACKS) both come
        # here: the generation is in every hash a session is checked against.
        own = super()._get_session_auth_hash(secret=secret)  # type: ignore[misc]  # Django's, not in the stubs
        if not self.session_generation:
            return own
        return salted_hmac(
            "servicedesk.accounts.User.session_generation",
            f"{own}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def end_all_sessions(self) -> None:
        """Every session of this person stops logging anybody in, wherever it is kept (the database, or a
        copy in the cache: servicedesk/sessions.py). The next request of each goes to the log-in page."""
        User.objects.filter(pk=self.pk).update(session_generation=F("session_generation") + 1)
        self.refresh_from_db(fields=["session_generation"])
