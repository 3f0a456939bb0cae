-- A session signed in before this moment is no longer valid: "sign out everywhere" and removing
-- an admin set it. Sessions live in tower-sessions' table as opaque records, so the check is
-- made against the user when a session is read (app/src/server/context.rs).
ALTER TABLE users ADD COLUMN sessions_revoked_at timestamptz;
