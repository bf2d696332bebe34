-- rebuild_billing() without JIT (docs/performance.md, "Deciding billing").
--
-- The rebuild decides every response in one INSERT … SELECT DISTINCT ON over response_rows. Its estimate is far
-- above jit_above_cost on any real history, and Postgres compiled about a hundred functions for a statement that
-- runs once: at 1 M messages the function took 33.4 s with JIT and 26.4 s without (same database, same load).
-- settle_billing has run without JIT since migration 030. A later CREATE OR REPLACE of either function resets its
-- settings; test/integration/store/migrations.test.ts checks both keep this one.
ALTER FUNCTION rebuild_billing() SET jit = off;
