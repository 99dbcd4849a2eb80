#!/bin/sh
# The bot's own login role (no tables of its own; `grant-runtime-role` gives it what serving
# needs). The official postgres image runs this once, on an empty data directory.
set -eu
: "${APP_DB_PASSWORD:?set APP_DB_PASSWORD in postgres.env}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v app_password="$APP_DB_PASSWORD" <<'SQL'
CREATE ROLE mfa_helpdesk_app LOGIN PASSWORD :'app_password';
SQL
