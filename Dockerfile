# The app image: one image for `hlm init`, `hlm serve`, `hlm project` and `hlm relay`
# (docker-compose.yml picks the command; settings come from HLM_* variables).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# Dependencies first: this layer is rebuilt only when pyproject.toml changes.
COPY pyproject.toml README.md ./
RUN mkdir domain projections api infra \
    && touch domain/__init__.py projections/__init__.py api/__init__.py infra/__init__.py \
    && pip install . && pip uninstall --yes hlm && rm -rf domain projections api infra
COPY domain domain
COPY projections projections
COPY api api
COPY infra infra
RUN pip install --no-deps . \
    && useradd --system --uid 10001 --home-dir /app hlm \
    && mkdir -p /app/var && chown hlm /app/var

USER hlm
ENV HLM_HOST=0.0.0.0 HLM_PORT=8000 HLM_DATA_DIR=/app/var
EXPOSE 8000
CMD ["hlm", "serve"]
