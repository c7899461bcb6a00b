# Engagement Desk: one image for the API, the job worker and the migration step.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir backend && touch backend/__init__.py \
    && pip install . && pip uninstall -y engagement-desk && rm -rf backend

COPY alembic.ini ./
COPY migrations ./migrations
COPY report_templates ./report_templates
COPY backend ./backend
# Editable: the code finds report_templates/ and migrations/ next to itself.
RUN pip install --no-deps -e . \
    && useradd --system --uid 10001 --home /app desk \
    && mkdir -p /app/var && chown desk /app/var
USER desk

ENV DESK_ENV=production DESK_HOST=0.0.0.0 DESK_PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2)"]
CMD ["desk", "serve"]
