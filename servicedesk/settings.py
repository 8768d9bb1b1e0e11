"""ServiceDesk settings: one module, every value from the environment.

Defaults suit development (DEBUG on, SQLite, tasks in-process, mail to the console).
Production sets DEBUG=0 and SECRET_KEY at least; docs/deploy.md lists every variable.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
import dj_email_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use 1/0, true/false, yes/no or on/off.")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG off, set SECRET_KEY to a long random value, e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production-0123456789abcdef"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# The address clients reach the app on: used in e-mails, SMS and QR codes (no request there).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_htmx",
    "axes",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from our own static (no CDN)
    "servicedesk.accounts",
    "servicedesk.tenancy",
    "notifications",
    "orders",
    "stock",
    "technicians",
    "reception",
    "quality",
    "documents",
    "ops",
    "api",
    "demo",
]

MIDDLEWARE = [
    # First: every log line of the request carries its id; the timer sees the whole stack.
    "ops.logging.RequestIdMiddleware",
    "ops.metrics.RequestMetricsMiddleware",
    # Then: a database outage from anywhere below answers 503, logged once (servicedesk/outage.py).
    "servicedesk.outage.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "servicedesk.tenancy.middleware.ResetTimezoneMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it watches the login attempts the views above produce.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "servicedesk.urls"
WSGI_APPLICATION = "servicedesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "servicedesk.tenancy.context_processors.tenancy",
            ],
            # {{ field|plain_field }} for hot read-only forms (the order list's filters): servicedesk/plain_forms.py
            # {% cachedfor %}: rows and cards cached by what they show (servicedesk/fragments.py)
            "libraries": {"plain_forms": "servicedesk.plain_forms", "fragments": "servicedesk.fragments"},
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Readers never wait on the single writer; a busy writer waits instead of failing at once.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache and Celery broker ---------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "sd",
            "OPTIONS": {"socket_timeout": 2, "socket_connect_timeout": 2},
        },
        # Rendered rows and cards (servicedesk/fragments.py): keyed by their content, so never invalidated.
        "fragments": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "sdf",
            "OPTIONS": {"socket_timeout": 2, "socket_connect_timeout": 2},
        },
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "sd"},
        # Room for a few pages of rows and cards per process (locmem's default keeps 300 entries).
        "fragments": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "sd-fragments",
            "OPTIONS": {"MAX_ENTRIES": 5000},
        },
    }

# Whole staff pages kept while the data they were made from is unchanged (servicedesk/pagecache.py): at most
# PAGE_CACHE_SECONDS old for what changes with the clock alone (overdue flags, hours left today).
PAGE_CACHE_ENABLED = env_bool("PAGE_CACHE", True)
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 60)
if PAGE_CACHE_SECONDS < 1:
    raise ImproperlyConfigured("PAGE_CACHE_SECONDS must be at least 1")

# Celery: without Redis the demo runs every task in-process at once.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"  # a host, or kombu warns on every eager call
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True  # a killed worker's task is redelivered, not lost
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": 2,
    "socket_connect_timeout": 2,
    "max_retries": 1,
    "visibility_timeout": 3600,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# One queue per channel, so a slow SMS gateway never delays e-mail (docs/notifications.md): "email" and
# "sms" take the notifications' send tasks, "celery" everything else (beat's jobs, the relay's fan-out).
# Workers consume all three unless told otherwise (-Q); docker-compose.yml runs one worker for SMS.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [Queue("celery"), Queue("email"), Queue("sms")]
CELERY_TASK_ROUTES = {
    "notifications.*_email": {"queue": "email"},
    "notifications.*_sms": {"queue": "sms"},
}
CELERY_BEAT_SCHEDULE: dict = {}

# --- Auth -----------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
INVITATION_TTL_DAYS = env_int("INVITATION_TTL_DAYS", 7)

# django-axes: lock a username from one IP after repeated failures.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_IPWARE_PROXY_COUNT = env_int("PROXY_COUNT", 0)
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
# Axes cannot give the IP alone its own, higher limit, so django-ratelimit counts failed log-ins per IP
# across all usernames (servicedesk/accounts/limits.py); at this many the IP is refused (429) until the
# window ends.
LOGIN_IP_FAILURE_RATE = os.environ.get("LOGIN_IP_FAILURE_RATE", "30/h")
# Sign-up per IP: completed sign-ups (new or existing address alike), and any sign-up POSTs (a burst).
SIGNUP_RATE = os.environ.get("SIGNUP_RATE", "3/h")
SIGNUP_BURST_RATE = os.environ.get("SIGNUP_BURST_RATE", "10/m")
# Days the link that confirms a new owner's e-mail address works.
EMAIL_CONFIRMATION_DAYS = env_int("EMAIL_CONFIRMATION_DAYS", 3)

# --- i18n -----------------------------------------------------------------------------------------
LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "en")
LANGUAGES = [("en", _("English")), ("ru", _("Russian")), ("id", _("Indonesian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One date and one date-time format per language (servicedesk/formats/<language>/formats.py).
FORMAT_MODULE_PATH = ["servicedesk.formats"]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
try:
    ZoneInfo(TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(f"TIME_ZONE={TIME_ZONE!r} is not a known time zone.") from None
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or "pytest" in sys.modules
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Mail -----------------------------------------------------------------------------------------
_email = dj_email_url.parse(os.environ.get("EMAIL_URL", "console://"))
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"]
EMAIL_PORT = _email["EMAIL_PORT"]
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"]
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"]
EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
if EMAIL_BACKEND == "django.core.mail.backends.filebased.EmailBackend":
    # file:///absolute/dir writes each mail as a file there. dj-email-url drops the leading "/" (a
    # relative path) and Django's backend fails every send without a usable directory, which the outbox
    # would retry until it gives up: so the directory is checked (and created) here, at start-up.
    from urllib.parse import urlsplit

    _email_url = urlsplit(os.environ.get("EMAIL_URL", ""))
    EMAIL_FILE_PATH = _email_url.path
    if _email_url.netloc or not EMAIL_FILE_PATH.startswith("/") or EMAIL_FILE_PATH == "/":
        raise ImproperlyConfigured(
            f"EMAIL_URL={os.environ.get('EMAIL_URL')!r}: a file:// mail URL needs an absolute directory, "
            "e.g. file:///var/lib/servicedesk/mail (three slashes)."
        )
    try:
        os.makedirs(EMAIL_FILE_PATH, exist_ok=True)
    except OSError as error:
        raise ImproperlyConfigured(
            f"EMAIL_URL: cannot create the mail directory {EMAIL_FILE_PATH!r}: {error}"
        ) from None
    if not os.access(EMAIL_FILE_PATH, os.W_OK | os.X_OK):
        raise ImproperlyConfigured(f"EMAIL_URL: the mail directory {EMAIL_FILE_PATH!r} is not writable.")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "ServiceDesk <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Notifications (docs/notifications.md) -------------------------------------------------------
# SMS: notifications.sms.ConsoleBackend (default), .LogBackend, .HttpGatewayBackend.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "notifications.sms.ConsoleBackend")
SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL", "")
# Where the HTTP gateway answers "do you have the message with this reference?" (empty: it cannot be asked,
# and an ambiguous send waits for a manager's decision).
SMS_GATEWAY_STATUS_URL = os.environ.get("SMS_GATEWAY_STATUS_URL", "")
SMS_GATEWAY_LOGIN = os.environ.get("SMS_GATEWAY_LOGIN", "")
SMS_GATEWAY_PASSWORD = os.environ.get("SMS_GATEWAY_PASSWORD", "")
SMS_SENDER = os.environ.get("SMS_SENDER", "ServiceDesk")
SMS_TIMEOUT = env_int("SMS_TIMEOUT", 10)
if SMS_GATEWAY_URL and not SMS_GATEWAY_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(f"SMS_GATEWAY_URL={SMS_GATEWAY_URL!r} must start with https:// (or http://).")
if SMS_GATEWAY_STATUS_URL and not SMS_GATEWAY_STATUS_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(
        f"SMS_GATEWAY_STATUS_URL={SMS_GATEWAY_STATUS_URL!r} must start with https:// (or http://)."
    )
NOTIFICATIONS_MAX_ATTEMPTS = env_int("NOTIFICATIONS_MAX_ATTEMPTS", 6)  # then the row is "failed"
NOTIFICATIONS_RETRY_BASE_SECONDS = env_int("NOTIFICATIONS_RETRY_BASE_SECONDS", 60)  # doubles per attempt
NOTIFICATIONS_RETRY_MAX_SECONDS = env_int("NOTIFICATIONS_RETRY_MAX_SECONDS", 3600)
# The lease of a worker's claim: a "sending" claim older than this is a dead worker's. The relay queues it
# again if its send had not started, else asks the provider / a manager (never a blind resend).
NOTIFICATIONS_CLAIM_TTL_SECONDS = env_int("NOTIFICATIONS_CLAIM_TTL_SECONDS", 60)
NOTIFICATIONS_RELAY_SECONDS = env_int("NOTIFICATIONS_RELAY_SECONDS", 30)  # how often beat runs the relay
NOTIFICATIONS_BATCH_SIZE = env_int("NOTIFICATIONS_BATCH_SIZE", 50)
CELERY_BEAT_SCHEDULE.update(
    {
        "notifications-relay": {"task": "notifications.relay", "schedule": NOTIFICATIONS_RELAY_SECONDS},
        "notifications-overdue": {"task": "notifications.scan_overdue", "schedule": 300},
        "notifications-visit-reminders": {"task": "notifications.scan_visit_reminders", "schedule": 600},
    }
)

# --- Forms ----------------------------------------------------------------------------------------
FORMS_URLFIELD_ASSUME_HTTPS = True  # Django 6 behaviour now: a bare "example.com" means https
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Security -------------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
# Every staff page reads its session: with Redis, from the cache (no query), the database only on a miss and
# whenever the cache does not answer (servicedesk/sessions.py). Without Redis the cache is each process's own
# memory, where a logout in one worker would leave the session's copy alive in the others: the database then.
SESSION_ENGINE = os.environ.get("SESSION_ENGINE", "") or (
    "servicedesk.sessions" if REDIS_URL else "django.contrib.sessions.backends.db"
)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Preloading is a one-way decision about the whole domain: the operator opts in, so its warning is silenced.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
if env_bool("BEHIND_TLS_PROXY", not DEBUG):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# django-csp 4: only the app's own scripts and styles; images may be data: URIs (QR codes).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
        "base-uri": [SELF],
    }
}

# Permissions-Policy (django-permissions-policy): browser features no page uses are switched off for the
# app and anything it might embed. The camera stays allowed for our own pages: technicians photograph the
# work from the job card (<input capture>).
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "camera": ["self"],
    "geolocation": [],
    "microphone": [],
    "payment": [],
    "usb": [],
    "serial": [],
    "bluetooth": [],
    "hid": [],
    "midi": [],
    "magnetometer": [],
    "gyroscope": [],
    "accelerometer": [],
    "display-capture": [],
    "browsing-topics": [],
}

# LOG_FORMAT=json: one JSON object per line (time, level, logger, message, request_id) for log shippers.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain")
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r}: use plain or json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "ops.logging.RequestIdFilter"},
        "quiet_database_errors": {"()": "servicedesk.outage.QuietDatabaseErrors"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # A database outage is logged in one line by servicedesk.outage, not as a traceback per request.
        "django.request": {"filters": ["quiet_database_errors"]},
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # In-process tasks (no Redis) would log every task run into the dev server's console.
        "celery.app.trace": {"level": "INFO" if REDIS_URL else "WARNING"},
    },
}

# --- Operations: error reports, metrics, retention -------------------------------------------------
# Errors go to Sentry only when SENTRY_DSN is set; personal data is scrubbed (ops/sentry.py).
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    from ops.sentry import init_sentry

    try:
        _traces = float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0"))
    except ValueError:
        raise ImproperlyConfigured("SENTRY_TRACES_SAMPLE_RATE must be a number from 0 to 1.") from None
    init_sentry(
        SENTRY_DSN,
        environment=os.environ.get("SENTRY_ENVIRONMENT", "production"),
        release=os.environ.get("SENTRY_RELEASE", ""),
        traces_sample_rate=_traces,
    )
# /metrics (Prometheus) answers only with this bearer token or to these addresses; else it is a 404.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS")
# A Celery worker serves its own metrics (task failures, documents rendered) on this port; 0: off.
CELERY_METRICS_PORT = env_int("CELERY_METRICS_PORT", 0)
# How long history is kept (days): sent/failed outbox rows, log-in logs. Purged daily by beat.
NOTIFICATIONS_RETENTION_DAYS = env_int("NOTIFICATIONS_RETENTION_DAYS", 180)
LOGIN_LOG_RETENTION_DAYS = env_int("LOGIN_LOG_RETENTION_DAYS", 90)
# Personal data (orders.personal_data, docs/integrations.md): how long issued documents are kept after the
# year they were issued in (Russia's accounting documents: 5 years), stated on a client's data report; and
# how many clients a center's retention setting anonymises per nightly run.
DOCUMENT_RETENTION_YEARS = env_int("DOCUMENT_RETENTION_YEARS", 5)
PERSONAL_DATA_RETENTION_BATCH = env_int("PERSONAL_DATA_RETENTION_BATCH", 200)
CELERY_BEAT_SCHEDULE["orders-anonymise-inactive-clients"] = {
    "task": "orders.anonymise_inactive_clients",
    "schedule": 24 * 3600,
}
CELERY_BEAT_SCHEDULE["ops-purge-old-data"] = {"task": "ops.purge_old_data", "schedule": 24 * 3600}
# Service levels (quality.clocks): how often beat moves the running clocks on and sends at-risk / breach
# alerts; an alert is at most this late.
SLA_TICK_SECONDS = env_int("SLA_TICK_SECONDS", 300)
CELERY_BEAT_SCHEDULE["quality-sla-tick"] = {"task": "quality.sla_tick", "schedule": SLA_TICK_SECONDS}

# --- REST API (api/, docs/integrations.md) ------------------------------------------------------------
# Requests per API key (DRF throttling, counted in the shared cache: Redis in production).
API_KEY_RATE = os.environ.get("API_KEY_RATE", "600/min")
# A key's "last used" is written at most this often (seconds): no write on every request.
API_KEY_LAST_USED_EVERY = env_int("API_KEY_LAST_USED_EVERY", 60)
API_PAGE_SIZE = env_int("API_PAGE_SIZE", 50)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.auth.HasApiKey"],
    "DEFAULT_THROTTLE_CLASSES": ["api.auth.ApiKeyThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": API_KEY_RATE},
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.ApiSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "COERCE_DECIMAL_TO_STRING": True,
}
# Webhooks (api/webhooks.py, docs/integrations.md). Plain http and internal addresses are refused unless
# allowed here: WEBHOOK_ALLOWED_NETWORKS=127.0.0.1/32 for tests and development, never in production.
WEBHOOK_ALLOW_HTTP = env_bool("WEBHOOK_ALLOW_HTTP", DEBUG)
WEBHOOK_ALLOWED_NETWORKS = env_list("WEBHOOK_ALLOWED_NETWORKS")
try:
    import ipaddress as _ipaddress

    for _net in WEBHOOK_ALLOWED_NETWORKS:
        _ipaddress.ip_network(_net, strict=False)
except ValueError as _error:
    raise ImproperlyConfigured(f"WEBHOOK_ALLOWED_NETWORKS: {_error}") from None
WEBHOOK_CONNECT_TIMEOUT = env_int("WEBHOOK_CONNECT_TIMEOUT", 3)
WEBHOOK_READ_TIMEOUT = env_int("WEBHOOK_READ_TIMEOUT", 5)
WEBHOOK_TOTAL_SECONDS = env_int("WEBHOOK_TOTAL_SECONDS", 10)
WEBHOOK_RESPONSE_MAX_BYTES = env_int("WEBHOOK_RESPONSE_MAX_BYTES", 65536)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8)
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 30)
WEBHOOK_RETRY_MAX_SECONDS = env_int("WEBHOOK_RETRY_MAX_SECONDS", 6 * 3600)
WEBHOOK_PAUSE_AFTER = env_int("WEBHOOK_PAUSE_AFTER", 20)
WEBHOOK_MAX_ENDPOINTS = env_int("WEBHOOK_MAX_ENDPOINTS", 10)
WEBHOOK_BATCH_SIZE = env_int("WEBHOOK_BATCH_SIZE", 10)
WEBHOOK_CLAIM_TTL_SECONDS = env_int("WEBHOOK_CLAIM_TTL_SECONDS", 300)
WEBHOOK_RELAY_SECONDS = env_int("WEBHOOK_RELAY_SECONDS", 60)
CELERY_BEAT_SCHEDULE["api-relay-webhooks"] = {"task": "api.relay_webhooks", "schedule": WEBHOOK_RELAY_SECONDS}
# Exports (api/exports.py): rows read per query, and the most rows an Excel file is made with.
EXPORT_CHUNK = env_int("EXPORT_CHUNK", 1000)
EXPORT_XLSX_MAX_ROWS = env_int("EXPORT_XLSX_MAX_ROWS", 100000)
# Imports (api/imports.py): file size (and an .xlsx's unpacked size), rows, columns, errors kept per run.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 20 * 1024 * 1024)
IMPORT_MAX_UNZIPPED = env_int("IMPORT_MAX_UNZIPPED", 200 * 1024 * 1024)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 100_000)
IMPORT_MAX_COLUMNS = env_int("IMPORT_MAX_COLUMNS", 50)
IMPORT_MAX_ERRORS = env_int("IMPORT_MAX_ERRORS", 200)
# The center's full export (api/full_export.py): the most bytes its ZIP may grow to (the build stops and
# fails above it, so one center cannot fill the disk); beat deletes the files past their 24 hours.
CENTER_EXPORT_MAX_BYTES = env_int("CENTER_EXPORT_MAX_BYTES", 2 * 1024 * 1024 * 1024)
CELERY_BEAT_SCHEDULE["api-expire-center-exports"] = {"task": "api.expire_center_exports", "schedule": 3600}
SPECTACULAR_SETTINGS = {
    "TITLE": "ServiceDesk API",
    "DESCRIPTION": "A service center's orders, clients, catalogue, stock, documents and feedback. "
    "Authenticate with an API key: `Authorization: Bearer sdk_...` (docs/integrations.md).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "orders.models.OrderStatus",
        "ServiceFormatEnum": "orders.models.ServiceFormat",
        "LineKindEnum": "orders.models.LineKind",
        "PaymentKindEnum": "orders.models.Payment.Kind",
        "PaymentMethodEnum": "orders.models.Payment.Method",
        "EventKindEnum": "orders.models.EventKind",
        "DocumentKindEnum": "documents.models.Kind",
    },
}
# The managers' dashboard reads daily rollups; beat recomputes the last days of every center from the raw rows.
QUALITY_ROLLUP_REPAIR_DAYS = env_int("QUALITY_ROLLUP_REPAIR_DAYS", 3)
QUALITY_ROLLUP_REPAIR_SECONDS = env_int("QUALITY_ROLLUP_REPAIR_SECONDS", 3600)
CELERY_BEAT_SCHEDULE["quality-repair-rollups"] = {
    "task": "quality.repair_rollups",
    "schedule": QUALITY_ROLLUP_REPAIR_SECONDS,
}
# Internal audits: last week's sample, per center (idempotent per week: runs every few hours so a
# center's Monday comes in its own time zone and a missed run catches up).
CELERY_BEAT_SCHEDULE["quality-draw-audit-samples"] = {
    "task": "quality.draw_audit_samples",
    "schedule": 6 * 3600,
}

# --- Product settings -----------------------------------------------------------------------------
# The client's public status link stops working this many days after the order is closed.
PUBLIC_LINK_DAYS_AFTER_CLOSE = env_int("PUBLIC_LINK_DAYS_AFTER_CLOSE", 30)
# Requests per minute one IP may make to public status pages.
PUBLIC_PAGE_RATE = os.environ.get("PUBLIC_PAGE_RATE", "30/m")
# The reception queue's phone check-in (the QR code at the door), per IP: any posts (a burst), and tickets
# taken. Clients on the shop's own guest Wi-Fi share one address: raise the second if they use it.
RECEPTION_TICKET_BURST_RATE = os.environ.get("RECEPTION_TICKET_BURST_RATE", "10/m")
RECEPTION_TICKET_RATE = os.environ.get("RECEPTION_TICKET_RATE", "10/h")
# Seconds the standards page keeps each standard's figures in the cache (0: always measure afresh).
STANDARDS_CACHE_SECONDS = env_int("STANDARDS_CACHE_SECONDS", 300)
CELERY_BEAT_SCHEDULE["reception-close-stale-visits"] = {
    "task": "reception.close_stale_visits",
    "schedule": 3600,
}
# Version of the personal-data processing text recorded with each client's consent.
PRIVACY_POLICY_VERSION = os.environ.get("PRIVACY_POLICY_VERSION", "2026-01")
ORDER_PHOTO_MAX_BYTES = env_int("ORDER_PHOTO_MAX_MB", 8) * 1024 * 1024
# Checked from the header before decoding (a 20000x20000 header is 1.2 GB of pixels); 50 MP phones fit.
ORDER_PHOTO_MAX_PIXELS = env_int("ORDER_PHOTO_MAX_MEGAPIXELS", 50) * 1_000_000
# Slugs a tenant may never take: they are (or may become) the project's own top-level URLs.
RESERVED_TENANT_SLUGS = frozenset(
    {
        "admin", "accounts", "account", "static", "media", "s", "q", "api", "i18n", "healthz", "readyz", "metrics", "signup",
        "w", "login", "logout", "invite", "invitations", "www", "app", "help", "docs", "status", "public",
        "settings", "new", "dashboard", "select", "tenants", "favicon.ico", "robots.txt",
    }
)  # fmt: skip
