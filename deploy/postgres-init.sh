#!/bin/sh
# Run once by the postgres image when its data volume is created: the ledger's two logins
# kept apart (the owner migrates; the application may only read and append through the
# group role ledgerbridge_app) and the database the owner owns. Passwords come from the
# container's environment, never from this file.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
     -v owner_password="$LEDGER_OWNER_PASSWORD" -v app_password="$LEDGER_APP_PASSWORD" <<'SQL'
CREATE ROLE ledger_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE ledger_app LOGIN PASSWORD :'app_password';
CREATE ROLE ledgerbridge_app NOLOGIN;
GRANT ledgerbridge_app TO ledger_app;
CREATE DATABASE ledger OWNER ledger_owner;
REVOKE ALL ON DATABASE ledger FROM PUBLIC;
GRANT CONNECT ON DATABASE ledger TO ledger_app;
SQL
