FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain domain
COPY projections projections
COPY api api
COPY infra infra
RUN pip install --no-cache-dir .
ENV HLM_HOST=0.0.0.0 HLM_PORT=8000
EXPOSE 8000
CMD ["hlm", "serve"]
