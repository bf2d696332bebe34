-- The deployed functions check, before their first batch, that the schema is at least the version their code
-- needs (shared/store/schema-version.ts), and refuse to run against an older one with a log line that says so.
-- They connect as the writer, which has no other reason to read this table; the list of applied migrations
-- holds nothing private, so everyone may read it.
GRANT SELECT ON schema_migrations TO PUBLIC;
