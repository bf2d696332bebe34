-- settle_billing plans its statements for each call's values: plan_cache_mode = force_custom_plan, in place of
-- migration 033's force_generic_plan (docs/performance.md, "A whole session in one commit").
--
-- A generic plan sees the commit's response keys as a parameter, and `response_key = ANY (keys)` over a parameter
-- is searched element by element for every row: Postgres hashes the array of an `= ANY` only when it is a constant
-- of the plan, as it is in a plan made for the call's values. A delta of five responses does not notice; a commit
-- of a whole session's responses does, quadratically: 10 600 responses (a 64 MiB Claude session) took 2.4 s in
-- settle_billing, 42 300 (256 MiB) 23 s, and a 1 GiB session's first ingest took 540 s, far past the ingest
-- function's 120 s timeout. Planned per call, the 256 MiB commit takes 4.2 s in settle_billing.
-- Forced, not the default (auto): auto keeps a generic plan once five calls have cost more than its estimate,
-- and whole-session commits are exactly such calls, so a connection that had made five would turn quadratic.
-- What 033 saved, planning at every commit (about 10 ms of backend CPU for a delta of a few responses), is paid
-- again. jit = off (migration 030) stays.

ALTER FUNCTION settle_billing() SET plan_cache_mode = force_custom_plan;
