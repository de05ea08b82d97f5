# Sourced (not executed) by the postgres image's entrypoint on the first start of an empty data volume, as the
# postgres user, while the server listens only on its private socket. Creates the app's login role: no superuser,
# no CREATEDB/CREATEROLE, allowed to connect to POSTGRES_DB and to create tables in its public schema, so that it
# owns exactly the tables its migrations create. The app never connects as POSTGRES_USER (the superuser), so an
# SQL injection cannot reach COPY ... TO PROGRAM, pg_read_server_files or other databases.
# The password travels in the environment, read with psql's \getenv: never on a command line, never in SQL text.

create_app_role() {
  local app_user="${POSTGRES_APP_USER:-notes_app}"
  if [ -z "${POSTGRES_APP_PASSWORD:-}" ]; then
    printf 'ERROR: POSTGRES_APP_PASSWORD is not set, so the app role %s cannot be created\n' "$app_user" >&2
    return 1
  fi
  if [ "$app_user" = "$POSTGRES_USER" ]; then
    printf 'ERROR: POSTGRES_APP_USER (%s) must differ from POSTGRES_USER, the superuser\n' "$app_user" >&2
    return 1
  fi
  echo "creating the app role $app_user (no superuser) for database $POSTGRES_DB"
  psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    --set app_user="$app_user" --set db="$POSTGRES_DB" <<'SQL'
\getenv app_password POSTGRES_APP_PASSWORD
CREATE ROLE :"app_user" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'app_password';
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"app_user";
GRANT USAGE, CREATE ON SCHEMA public TO :"app_user";
SQL
}

create_app_role
