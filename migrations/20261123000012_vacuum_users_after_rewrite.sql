-- no-transaction
-- Migration 0011 rewrote `users` (its new `search` column): until a vacuum marks the new
-- pages all-visible, the member search's index-only walk would read the table for every
-- member it passes. VACUUM cannot run inside a transaction, hence a migration of its own.
VACUUM (ANALYZE) users;
