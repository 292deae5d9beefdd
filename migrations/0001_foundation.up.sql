-- Foundation: the runtime role, users and tasks with row-level security.
--
-- Least privilege (P2): migrations run as the owner of the tables. The server
-- runs as taskbridge_runtime, a NOLOGIN group role that is granted only the DML
-- it needs; the login role in DATABASE_URL is a member of it and the pool does
-- SET ROLE taskbridge_runtime on every connection. Roles are cluster-wide, so
-- creating it tolerates another database having created it first.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'taskbridge_runtime') THEN
        CREATE ROLE taskbridge_runtime NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;

-- The caller's identity for row-level security: set per transaction with
-- set_config('app.user_id', $1, true). Unset or empty yields NULL, so every
-- policy below matches no row (default deny).
CREATE FUNCTION app_current_user_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('app.user_id', true), '')::uuid $$;

CREATE TABLE users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email         text NOT NULL,
    display_name  text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_length CHECK (char_length(email) BETWEEN 3 AND 254),
    CONSTRAINT users_email_lower CHECK (email = lower(email)),
    CONSTRAINT users_display_name_length CHECK (char_length(display_name) <= 100)
);
CREATE UNIQUE INDEX users_email_key ON users (email);

CREATE TABLE tasks (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title       text NOT NULL,
    -- Notes are user-authored free text, encrypted at rest (D7) with
    -- AES-256-GCM; notes_key_id names the key so keys rotate without downtime.
    notes_sealed bytea,
    notes_key_id text,
    status      text NOT NULL DEFAULT 'open',
    due_date    date,
    priority    text NOT NULL DEFAULT 'normal',
    tags        text[] NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz,
    deleted_at  timestamptz,
    CONSTRAINT tasks_title_length CHECK (char_length(title) BETWEEN 1 AND 200),
    CONSTRAINT tasks_notes_sealed_with_key CHECK ((notes_sealed IS NULL) = (notes_key_id IS NULL)),
    CONSTRAINT tasks_notes_sealed_size CHECK (octet_length(notes_sealed) <= 90000),
    CONSTRAINT tasks_status_valid CHECK (status IN ('open', 'done')),
    CONSTRAINT tasks_priority_valid CHECK (priority IN ('low', 'normal', 'high')),
    CONSTRAINT tasks_tags_count CHECK (cardinality(tags) <= 20),
    CONSTRAINT tasks_completed_consistent CHECK ((status = 'done') = (completed_at IS NOT NULL))
);
CREATE INDEX tasks_owner_live ON tasks (owner_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX tasks_owner_due ON tasks (owner_id, due_date) WHERE deleted_at IS NULL;
CREATE INDEX tasks_owner_trash ON tasks (owner_id, deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX tasks_tags ON tasks USING gin (tags);

-- Row-level security, forced so that even the table owner is subject to it
-- (A8). A user sees and changes only their own row and their own tasks.
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY users_self ON users
    USING (id = app_current_user_id())
    WITH CHECK (id = app_current_user_id());

ALTER TABLE tasks ENABLE ROW LEVEL SECURITY;
ALTER TABLE tasks FORCE ROW LEVEL SECURITY;
CREATE POLICY tasks_owner ON tasks
    USING (owner_id = app_current_user_id())
    WITH CHECK (owner_id = app_current_user_id());

REVOKE ALL ON users, tasks FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON users, tasks TO taskbridge_runtime;
GRANT EXECUTE ON FUNCTION app_current_user_id() TO taskbridge_runtime;
