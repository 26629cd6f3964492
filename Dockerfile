# Chronos bot image: slim Python, CPU-only torch, non-root user, runs `chronos bot`.
# Needs DATABASE_URL (a PostgreSQL server) and BOT_TOKEN at run time; see .env.example.
FROM python:3.11-slim AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CHRONOS_DATA_DIR=/var/lib/chronos \
    HF_HUB_OFFLINE=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY ai ./ai
COPY bot ./bot
COPY crm ./crm
COPY jobs ./jobs
COPY chronos ./chronos
COPY migrations ./migrations

# torch first, from the CPU index, so the image does not pull gigabytes of CUDA.
RUN pip install "torch==2.13.0" --index-url https://download.pytorch.org/whl/cpu \
    && pip install .

RUN useradd --create-home --uid 10001 chronos \
    && mkdir -p /var/lib/chronos \
    && chown chronos:chronos /var/lib/chronos
USER chronos
VOLUME ["/var/lib/chronos"]

CMD ["chronos", "bot"]
