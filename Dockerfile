FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends unixodbc libsqliteodbc \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir -c constraints.txt -e . --config-settings editable_mode=compat
ENV LEDGERBRIDGE_HOME=/app/.ledgerbridge
CMD ["ledgerbridge", "--help"]
