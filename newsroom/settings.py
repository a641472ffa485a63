"""Settings for Newsroom Review, driven by environment variables.

DJANGO_ENV     "production" selects the production settings below (HTTPS only, HSTS, secure
               cookies, SMTP email, SECRET_KEY and ALLOWED_HOSTS required); anything else,
               or unset, is development. The README's "Production" section lists every variable.
DATABASE_URL   database (default: SQLite file db.sqlite3 in the project, WAL journal)
SECRET_KEY     required in production and whenever DEBUG is off
DEBUG          "1"/"true" turns debug on (default: on in development, off in production)
ALLOWED_HOSTS  comma-separated host names
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


# DJANGO_ENV=production turns on everything a public deployment needs (see the README).
PRODUCTION = os.environ.get("DJANGO_ENV", "development").strip().lower() == "production"

DEBUG = _env_bool("DEBUG", not PRODUCTION)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION or not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DJANGO_ENV=production or DEBUG is off."
        )
    # Development only: never used once DEBUG is off.
    SECRET_KEY = "dev-insecure-newsroom-review-key-do-not-use-in-production"

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,[::1]").split(",")
    if h.strip()
]
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DJANGO_ENV=production.")
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "reviews",
]

MIDDLEWARE = [
    # First, so that everything after it sees the client's real address (TRUSTED_PROXY_COUNT).
    "reviews.middleware.ForwardedForMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files straight after security, before sessions and login: compressed, cached
    # forever under their hashed names, and never behind the login.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Outside the login check, so an HTMX request after the login ended is sent to the login
    # page rather than swapping it into the story; and Vary: HX-Request on every response.
    "reviews.htmx_pages.HtmxPageMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # The two refusals sit inside the header middleware, so a 413 or 429 page still carries
    # CSP, X-Frame-Options, nosniff and the rest. No middleware above reads the body in its
    # __call__ (CSRF reads POST in process_view, which runs after these), so an oversized
    # request is refused before a byte of its body is read.
    "reviews.middleware.RequestSizeLimitMiddleware",
    "reviews.middleware.RateLimitMiddleware",
    # A lost race for the database lock: 503 with the typed words back, never a 500.
    "reviews.middleware.BusyDatabaseMiddleware",
    # django-axes last, as its documentation asks: it turns a locked-out login into a response.
    "axes.middleware.AxesMiddleware",
]
# Behind this many reverse proxies, REMOTE_ADDR is taken from X-Forwarded-For (see
# reviews.middleware.ForwardedForMiddleware); 0, the default, trusts no forwarded header.
TRUSTED_PROXY_COUNT = _env_int("TRUSTED_PROXY_COUNT", 0)

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# django-axes: lockout after repeated failed logins for the same username from the same
# address (the pair, so one address cannot lock out everybody and a username is not locked
# everywhere). An admin unlocks at once with axes.utils.reset(username=...) (the Team page).
AXES_ENABLED = _env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = _env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_MINUTES = _env_int("AXES_COOLOFF_MINUTES", 15)
# 0 minutes: no cool-off, the lock lasts until an admin resets it.
AXES_COOLOFF_TIME = timedelta(minutes=AXES_COOLOFF_MINUTES) if AXES_COOLOFF_MINUTES > 0 else None
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429

ROOT_URLCONF = "newsroom.urls"

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
                "reviews.context_processors.roles",
            ],
            # {{ user|person }} on every page (reviews/templatetags/people.py).
            "builtins": ["reviews.templatetags.people"],
        },
    },
]

WSGI_APPLICATION = "newsroom.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=_env_int("CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and a writer work at once; IMMEDIATE takes the write lock at the
    # start of a transaction, so concurrent writers wait (busy timeout) instead of failing
    # half-way with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "reviews:queue"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# collectstatic writes here and WhiteNoise serves from here (the load benchmark uses a temporary one).
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
# WhiteNoise serves static files in every environment. Production (after collectstatic)
# serves hashed, gzip- and brotli-compressed copies with far-future cache headers.
if not PRODUCTION:
    # WhiteNoise looks at STATIC_ROOT at start-up; in development files come from the finders.
    STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = not PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Strict CSP: scripts only from our own origin, no inline code or eval anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

# Background work (rescans after lexicon changes, bulk exports) runs through django-tasks.
# TASKS_BACKEND=database stores tasks in the database for `manage.py task_worker` to run (the
# production default); "immediate" runs each task inside the request that starts it (the
# development and test default, so nothing else needs to be running).
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "database" if PRODUCTION else "immediate").strip().lower()
if TASKS_BACKEND not in {"database", "immediate"}:
    raise ImproperlyConfigured('TASKS_BACKEND must be "database" or "immediate".')
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks_db.DatabaseBackend"
            if TASKS_BACKEND == "database"
            else "django_tasks.backends.immediate.ImmediateBackend"
        ),
        "QUEUES": ["default"],
    }
}

# Bulk export ZIPs are built here, a few stories per step.
EXPORT_ROOT = Path(os.environ.get("EXPORT_ROOT", BASE_DIR / "var" / "exports"))

# Email (password reset and set-password links): printed to the console in development;
# SMTP from the environment in production.
if PRODUCTION:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
    EMAIL_PORT = _env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_SSL = _env_bool("EMAIL_USE_SSL", False)  # implicit TLS (port 465)
    EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS", not EMAIL_USE_SSL)  # STARTTLS (port 587)
    if EMAIL_USE_TLS and EMAIL_USE_SSL:
        raise ImproperlyConfigured("Set only one of EMAIL_USE_TLS and EMAIL_USE_SSL.")
    EMAIL_TIMEOUT = _env_int("EMAIL_TIMEOUT", 10)  # seconds: a dead SMTP server must not hang a request
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "newsroom-review@localhost")
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# HTTPS-only cookies, HSTS and the redirect to HTTPS in production.
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = _env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = _env_bool("SECURE_HSTS_PRELOAD", True)
    if _env_bool("BEHIND_HTTPS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# INSECURE_LOCAL_HTTP=1: production settings over plain HTTP on this machine only (a try-out
# with `make serve`, the load benchmark): cookies without Secure, no redirect to HTTPS, no HSTS.
# Refused unless every allowed host is a loopback name, so it cannot open a public site to HTTP.
INSECURE_LOCAL_HTTP = PRODUCTION and _env_bool("INSECURE_LOCAL_HTTP", False)
if INSECURE_LOCAL_HTTP:
    if not set(ALLOWED_HOSTS) <= {"127.0.0.1", "localhost", "[::1]", "::1"}:
        raise ImproperlyConfigured(
            "INSECURE_LOCAL_HTTP is only for this machine: ALLOWED_HOSTS may then list only "
            "127.0.0.1, localhost and [::1]."
        )
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT = False
    SECURE_HSTS_SECONDS = 0
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SAMESITE = "Lax"

# Product limits.
REVIEWS_MAX_COMMENT_LENGTH = _env_int("REVIEWS_MAX_COMMENT_LENGTH", 5000)
REVIEWS_MAX_ARTICLE_CHARS = _env_int("REVIEWS_MAX_ARTICLE_CHARS", 1_000_000)
REVIEWS_QUEUE_PAGE_SIZE = _env_int("REVIEWS_QUEUE_PAGE_SIZE", 25)
REVIEWS_MAX_UPLOAD_BYTES = _env_int("REVIEWS_MAX_UPLOAD_BYTES", 5 * 1024 * 1024)
# Requests per minute (fixed one-minute windows, 429 beyond; 0 turns a limit off):
# anonymous writes (log in, password reset) per client address, and writes per signed-in user.
REVIEWS_RATE_LIMIT_LOGINS = _env_int("REVIEWS_RATE_LIMIT_LOGINS", 20)
REVIEWS_RATE_LIMIT_WRITES = _env_int("REVIEWS_RATE_LIMIT_WRITES", 120)
# The rate counters live in Django's cache. CACHE_URL picks it: locmem:// (the default: per
# process, enough for one server process), redis://host:6379/0 (needs the redis package) or
# memcached://host:11211 (needs pymemcache), so several workers share one set of counters.
_CACHE_URL = os.environ.get("CACHE_URL", "locmem://").strip()
if _CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _CACHE_URL}}
elif _CACHE_URL.startswith("memcached://"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
            "LOCATION": _CACHE_URL.removeprefix("memcached://"),
        }
    }
elif _CACHE_URL.startswith("locmem://"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    raise ImproperlyConfigured("CACHE_URL must start with locmem://, redis://, rediss:// or memcached://")
# Any request body larger than this is refused before it is read (413).
REVIEWS_MAX_REQUEST_BYTES = _env_int("REVIEWS_MAX_REQUEST_BYTES", 10 * 1024 * 1024)
# Uploads larger than the limit are refused by the form; bodies far beyond it never load.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# A story cannot be approved while high-severity loaded-language flags are open.
REVIEWS_BLOCK_APPROVAL_ON_HIGH_FLAGS = _env_bool("REVIEWS_BLOCK_APPROVAL_ON_HIGH_FLAGS", True)
# An approval is of one revision: an edit to an approved story sends it back to review.
REVIEWS_EDIT_REOPENS_APPROVAL = _env_bool("REVIEWS_EDIT_REOPENS_APPROVAL", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
