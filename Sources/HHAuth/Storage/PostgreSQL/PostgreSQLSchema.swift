/// The schema in PostgreSQL's types, one migration per change (``PostgreSQLMigrator`` applies
/// them). The tables, columns and indexes are SQLite's (``Migrations``) as they stand after its
/// last migration, so both engines share the domain code and `migrate-data` copies values
/// unchanged: timestamps are epoch seconds (`double precision`), hashes and sealed tokens
/// `bytea`, flags `boolean`, row ids identity columns. Two things differ (docs/scale-out.md):
/// `audit_events.id` is no identity but taken under the chain head's row lock
/// (`audit_guard.head_id`), so ids stay gap-free across nodes; and the append-only triggers are
/// PL/pgSQL.
enum PostgreSQLSchema {
    /// Identifier and SQL (a script of several statements), in the order they apply.
    static let migrations: [(identifier: String, sql: String)] = [
        ("v1: schema", v1), ("v2: state shared across nodes", v2),
        ("v3: session cache notifications", v3),
    ]

    /// The identifiers this binary knows, in order.
    static var identifiers: [String] { migrations.map(\.identifier) }

    private static let v1 = """
        CREATE TABLE users (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            hh_user_id text NOT NULL UNIQUE,
            email text,
            full_name text,
            is_active boolean NOT NULL DEFAULT true,
            created_at double precision NOT NULL,
            updated_at double precision NOT NULL
        );
        CREATE TABLE allowed_users (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            hh_user_id text NOT NULL UNIQUE,
            comment text,
            groups text NOT NULL DEFAULT '',
            is_active boolean NOT NULL DEFAULT true,
            created_at double precision NOT NULL,
            updated_at double precision NOT NULL
        );
        CREATE TABLE sessions (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            id_hash bytea NOT NULL UNIQUE,
            handle text NOT NULL UNIQUE,
            user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            kind text NOT NULL DEFAULT 'program',
            created_at double precision NOT NULL,
            expires_at double precision NOT NULL,
            last_seen_at double precision
        );
        CREATE INDEX sessions_by_user ON sessions(user_id);
        CREATE INDEX sessions_by_expiry ON sessions(expires_at);
        CREATE INDEX sessions_idle_browser ON sessions(last_seen_at) WHERE kind = 'browser';
        CREATE TABLE hh_tokens (
            user_id bigint PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
            key_id text NOT NULL,
            access_token bytea NOT NULL,
            refresh_token bytea NOT NULL,
            expires_at double precision NOT NULL,
            version bigint NOT NULL DEFAULT 1,
            lease_owner text,
            lease_until double precision,
            updated_at double precision NOT NULL
        );
        CREATE INDEX hh_tokens_by_key ON hh_tokens(key_id);
        CREATE TABLE oauth_states (
            state_hash bytea PRIMARY KEY,
            redirect_uri text,
            expires_at double precision NOT NULL
        );
        CREATE INDEX oauth_states_by_expiry ON oauth_states(expires_at);
        CREATE TABLE exchange_codes (
            code_hash bytea PRIMARY KEY,
            user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            expires_at double precision NOT NULL
        );
        CREATE INDEX exchange_codes_by_expiry ON exchange_codes(expires_at);
        CREATE INDEX exchange_codes_by_user ON exchange_codes(user_id);
        CREATE TABLE hh_revocations (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            user_id bigint NOT NULL,
            key_id text NOT NULL,
            access_token bytea NOT NULL,
            refresh_token bytea NOT NULL,
            expires_at double precision NOT NULL,
            attempts integer NOT NULL DEFAULT 0,
            next_attempt_at double precision NOT NULL,
            created_at double precision NOT NULL
        );
        CREATE INDEX hh_revocations_due ON hh_revocations(next_attempt_at);
        CREATE INDEX hh_revocations_by_key ON hh_revocations(key_id);
        CREATE TABLE audit_events (
            id bigint PRIMARY KEY,
            event_type text NOT NULL,
            user_id bigint,
            metadata text NOT NULL,
            created_at double precision NOT NULL,
            hash text NOT NULL
        );
        CREATE INDEX audit_by_type ON audit_events(event_type, id);
        CREATE INDEX audit_by_user ON audit_events(user_id, id);
        CREATE INDEX audit_by_time ON audit_events(created_at);
        CREATE TABLE audit_guard (
            id integer PRIMARY KEY CHECK (id = 1),
            head_id bigint NOT NULL DEFAULT 0,
            head_hash text NOT NULL DEFAULT '\(genesis)',
            pruning boolean NOT NULL DEFAULT false,
            anchor_id bigint NOT NULL DEFAULT 0,
            anchor_hash text NOT NULL DEFAULT '\(genesis)'
        );
        INSERT INTO audit_guard (id) VALUES (1);
        CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' AND (SELECT pruning FROM audit_guard WHERE id = 1) THEN
                RETURN OLD;
            END IF;
            RAISE EXCEPTION 'audit events are append-only';
        END;
        $$;
        CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
            FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
        CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
            FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
        CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
            FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
        """

    private static var genesis: String { AuditLog.genesis }
}
