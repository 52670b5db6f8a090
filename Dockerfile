# PeerHaven: slim Python 3.11, non-root, DATABASE_URL from the environment.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PEERHAVEN_HOST=0.0.0.0 \
    PEERHAVEN_PORT=8080 \
    PEERHAVEN_DATA_DIR=/var/lib/peerhaven

RUN useradd --create-home --uid 10001 peerhaven \
    && mkdir -p /var/lib/peerhaven && chown peerhaven /var/lib/peerhaven

WORKDIR /app
COPY pyproject.toml README.md ./
COPY server ./server
COPY federation ./federation
COPY storage ./storage
COPY moderation ./moderation
RUN pip install --no-cache-dir .

USER peerhaven
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status == 200 else 1)"

CMD ["peerhaven", "serve"]
