"""Settings for every environment; each value comes from the environment (see README)."""

from datetime import timedelta

from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE

from leadflow.env import BASE_DIR, VAR_DIR, env, is_embedded, secret_key

SECRET_KEY = secret_key()
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "pgtrigger",
    "axes",
    "csp",
    # The audit trail of configuration changes (leadflow/audit.py).
    "auditlog",
    # The layers, bottom to top: each app imports only those above it in this list
    # (docs/architecture.md; `make lint` holds it).
    "leadflow",
    "funnel",
    "integrations",
    "handoff",
    "reporting",
    "web",
    "configuration",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A database that is away answers 503 with Retry-After, not 500 (leadflow/middleware.py).
    "leadflow.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The browser's language (Accept-Language); a signed-in user's own choice wins below.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The audit trail names the request's user as who changed what (auditlog's middleware).
    "leadflow.audit.AuditActorMiddleware",
    # The user's chosen language and time zone (leadflow/locale.py).
    "leadflow.locale.UserLocaleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# django-axes counts failed sign-ins per username and address (one person mistyping from an
# office does not lock out the office); the fifth in a row locks that pair out for 15 minutes.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("SIGN_IN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("SIGN_IN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "leadflow.signin.lockout_response"
AXES_VERBOSE = False

# The audit trail keeps a related object by its name as it read then ("Sales", not 3), and
# no remote address (who changed configuration is the user, not the IP).
AUDITLOG_USE_FK_STRING_REPRESENTATION = True
AUDITLOG_DISABLE_REMOTE_ADDR = True

ROOT_URLCONF = "leadflow.urls"
WSGI_APPLICATION = "leadflow.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "handoff.context_processors.header",
            ],
        },
    },
]

# PostgreSQL in production; SQLite under var/ when DATABASE_URL is not set.
# Web, worker and beat share a SQLite file: take the write lock when a transaction begins and
# wait for it, instead of failing at once with "database is locked". Any SQLite database gets
# these (the embedded default, or a DATABASE_URL naming a file); options in the URL win.
SQLITE_OPTIONS = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
if is_embedded():
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "leadflow.sqlite3",
        }
    }
else:
    DATABASES = {"default": env.db("DATABASE_URL")}
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        **SQLITE_OPTIONS,
        **DATABASES["default"].get("OPTIONS", {}),
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "funnel.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
# The languages shipped (locale/): each user picks one in Preferences, else the browser decides.
LANGUAGES = [("en", "English"), ("ru", "Русский")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# How each language writes a day and a moment (leadflow/formats/), over Django's defaults.
FORMAT_MODULE_PATH = ["leadflow.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "static"))
# WhiteNoise serves collected static files from any web process, DEBUG or not.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "reporting:home"  # each role's home: marketing the dashboard, others the queue
LOGOUT_REDIRECT_URL = "login"

# Email: console in the embedded run, SMTP from EMAIL_URL in production.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="leadflow@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where the app is served, for the links in emails (a mail client needs absolute ones).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# Served behind TLS (production): secure cookies, HSTS and the HTTPS redirect together.
HTTPS = env.bool("HTTPS", default=False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None

# Content-Security-Policy, in every environment so development sees what production enforces:
# scripts only from this site (no inline script anywhere, Swagger UI's included); inline styles
# are allowed for the weekly report's email-ready page and the admin's few style attributes.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Larger request bodies are refused with 413 before they are read. 10 MiB: a bulk request of
# 1,000 leads (BATCH_MAX) with every field at its longest is 1.7 MB in ASCII, 8 MB with all its
# text non-ASCII and escaped as \uXXXX (json.dumps' default); tests/test_hostile_input.py.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=10 * 1024 * 1024)

# An API token may expire: API_TOKEN_TTL_HOURS after it was issued (0: never; revoke it
# with DELETE /api/v1/auth/token/ or in the admin).
API_TOKEN_TTL_HOURS = env.float("API_TOKEN_TTL_HOURS", default=0)

# Throttles count in the cache, and the dashboard keeps its figures there, so every process
# (web workers, the worker that warms the dashboard) must share it: Redis (CACHE_URL) in
# production; files under var/ in the embedded default.
CACHES = {
    "default": env.cache(
        "CACHE_URL",
        default=f"filecache://{VAR_DIR / 'cache'}" if is_embedded() else "locmemcache://",
    )
}
# How long the dashboard's figures are kept (reporting.dashboard.dashboard_figures); the page
# says how old they are. 0: computed on every request.
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=300)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "leadflow.api.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "leadflow.api.pagination.PageNumberPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "leadflow.api.throttling.TokenRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "token": env.str("API_RATE_PER_TOKEN", default="1200/min"),
        "user": env.str("API_RATE_PER_USER", default="1200/min"),
        "anon": env.str("API_RATE_ANON", default="30/min"),
        # Sign-ins per address (the token endpoint and the login page): slowed before locked.
        "sign_in": env.str("SIGN_IN_RATE", default="10/min"),
    },
    # JSON only (another body answers 415): no page, form or upload posts to the API, and a
    # schema offering three encodings of one body leaves generated clients unable to choose.
    # The parser refuses deep nesting and lone surrogates (400).
    "DEFAULT_PARSER_CLASSES": ["leadflow.api.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "leadflow.api.exceptions.api_exception_handler",
    # drf-spectacular's, adding the refusals every operation may answer (leadflow.api.schema).
    "DEFAULT_SCHEMA_CLASS": "leadflow.api.schema.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Leadflow API",
    "DESCRIPTION": (
        "Leads, stages, handoffs, dispositions, webhooks and reports. Authenticate with "
        "`Authorization: Token <token>` (POST /api/v1/auth/token/)."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The contract is public: integrators read it before they have a token.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",  # served from this installation: works with no internet
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# Celery: Redis in production; a filesystem transport under var/ needs no server.
if env.str("CELERY_BROKER_URL", default=""):
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL")
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
else:
    _queue, _processed, _control = (
        VAR_DIR / "celery" / f for f in ("queue", "processed", "control")
    )
    for _folder in (_queue, _processed, _control):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue),
        "data_folder_out": str(_queue),
        "processed_folder": str(_processed),
        "control_folder": str(_control),
        "store_processed": False,
    }
# One queue name per installation, so installations (or test runs) can share a Redis.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="leadflow")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 180
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "sla-sweep": {"task": "handoff.tasks.sla_sweep_task", "schedule": 60.0},
    "webhook-sweep": {"task": "funnel.tasks.webhook_sweep_task", "schedule": 60.0},
    "notification-digest": {
        "task": "handoff.tasks.notification_digest_task",
        "schedule": crontab(hour=7, minute=0),
    },
    # Monday mornings in TIME_ZONE (CELERY_TIMEZONE): last week's drift alerts, then its report.
    "ratio-check": {
        "task": "reporting.tasks.ratio_check_task",
        "schedule": crontab(hour=5, minute=30, day_of_week="mon"),
    },
    "weekly-report": {
        "task": "reporting.tasks.weekly_report_task",
        "schedule": crontab(hour=6, minute=30, day_of_week="mon"),
    },
}

# Webhooks (integrations.webhooks): after the n-th failed attempt a delivery waits
# WEBHOOK_RETRY_BASE_SECONDS x 2^(n-1); the WEBHOOK_MAX_ATTEMPTS-th failure dead-letters it.
# Defaults: 12 attempts, the last about 17 hours after the first.
WEBHOOK_TIMEOUT_SECONDS = env.int("WEBHOOK_TIMEOUT_SECONDS", default=10)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=12)
WEBHOOK_RETRY_BASE_SECONDS = env.int("WEBHOOK_RETRY_BASE_SECONDS", default=30)
# A webhook URL whose host resolves to a loopback, private, link-local, reserved or metadata
# address is refused (at create, update and each delivery) unless the installation allows it:
# a receiver on the same private network, or the tests' loopback receiver.
WEBHOOK_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", default=False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# Safety nets (handoff.tasks): offers never routed and notifications never emailed, older than
# this, are picked up from the database by beat every minute (a lost message: broker away,
# worker killed). Webhooks have theirs in webhook-sweep.
SAFETY_NET_GRACE_SECONDS = env.int("SAFETY_NET_GRACE_SECONDS", default=120)
CELERY_BEAT_SCHEDULE["offer-route-overdue"] = {
    "task": "handoff.tasks.offers_route_overdue_task",
    "schedule": 60.0,
}
CELERY_BEAT_SCHEDULE["notification-email-overdue"] = {
    "task": "handoff.tasks.notifications_email_overdue_task",
    "schedule": 60.0,
}
# CSV imports of leads queued or running that have not moved for the grace period.
# The dashboard's landing figures, computed again before those kept expire (reporting.dashboard).
if DASHBOARD_CACHE_SECONDS:
    CELERY_BEAT_SCHEDULE["dashboard-warm"] = {
        "task": "reporting.tasks.dashboard_warm_task",
        "schedule": max(30.0, DASHBOARD_CACHE_SECONDS * 0.8),
    }
CELERY_BEAT_SCHEDULE["lead-import-resume-overdue"] = {
    "task": "handoff.tasks.lead_imports_resume_overdue_task",
    "schedule": 60.0,
}
