#!/bin/sh
# Runs once, when the postgres container initialises an empty volume: creates the read-only
# role the API server connects as (registry_ro). It reads every table and sequence the owner
# (registry) creates, now and in later migrations, and can write nothing. Its password comes
# from REGISTRY_RO_PASSWORD in the environment, never from a command line. Also the role its
# publishers' writes connect as (registry_writer, REGISTRY_WRITER_PASSWORD): a member of
# registry_publisher_writer, whose privileges the migrations grant (publisher-owned data only);
# and the role the build verifier connects as (registry_checker, REGISTRY_VERIFIER_PASSWORD):
# a member of registry_verifier, which may write verdicts only.
set -eu
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
\getenv ro_password REGISTRY_RO_PASSWORD
\getenv writer_password REGISTRY_WRITER_PASSWORD
\getenv verifier_password REGISTRY_VERIFIER_PASSWORD
CREATE ROLE registry_ro LOGIN PASSWORD :'ro_password';
GRANT CONNECT ON DATABASE registry TO registry_ro;
GRANT USAGE ON SCHEMA public TO registry_ro;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO registry_ro;
GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO registry_ro;
ALTER DEFAULT PRIVILEGES FOR ROLE registry IN SCHEMA public GRANT SELECT ON TABLES TO registry_ro;
ALTER DEFAULT PRIVILEGES FOR ROLE registry IN SCHEMA public GRANT SELECT ON SEQUENCES TO registry_ro;
CREATE ROLE registry_publisher_writer NOLOGIN;
CREATE ROLE registry_writer LOGIN PASSWORD :'writer_password' IN ROLE registry_publisher_writer;
GRANT CONNECT ON DATABASE registry TO registry_writer;
CREATE ROLE registry_verifier NOLOGIN;
CREATE ROLE registry_checker LOGIN PASSWORD :'verifier_password' IN ROLE registry_verifier;
GRANT CONNECT ON DATABASE registry TO registry_checker;
GRANT USAGE ON SCHEMA public TO registry_checker;
SQL
