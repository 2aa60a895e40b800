import GRDB

/// The schema, one migration per change. Timestamps are Unix seconds (REAL). Secrets that only need
/// to be recognised (`state`, exchange codes, session ids) are stored as SHA-256 hashes; HH tokens
/// are stored encrypted with the id of the key that sealed them.
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: schema") { db in
            try db.execute(
                sql: """
                    CREATE TABLE users (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        hh_user_id TEXT NOT NULL UNIQUE,
                        email TEXT,
                        full_name TEXT,
                        is_active INTEGER NOT NULL DEFAULT 1,
                        created_at REAL NOT NULL,
                        updated_at REAL NOT NULL
                    );
                    CREATE TABLE allowed_users (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        hh_user_id TEXT NOT NULL UNIQUE,
                        comment TEXT,
                        is_active INTEGER NOT NULL DEFAULT 1,
                        created_at REAL NOT NULL,
                        updated_at REAL NOT NULL
                    );
                    CREATE TABLE sessions (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        id_hash BLOB NOT NULL UNIQUE,
                        handle TEXT NOT NULL UNIQUE,
                        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        created_at REAL NOT NULL,
                        expires_at REAL NOT NULL
                    );
                    CREATE INDEX sessions_by_user ON sessions(user_id);
                    CREATE INDEX sessions_by_expiry ON sessions(expires_at);
                    CREATE TABLE hh_tokens (
                        user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
                        key_id TEXT NOT NULL,
                        access_token BLOB NOT NULL,
                        refresh_token BLOB NOT NULL,
                        expires_at REAL NOT NULL,
                        version INTEGER NOT NULL DEFAULT 1,
                        lease_owner TEXT,
                        lease_until REAL,
                        updated_at REAL NOT NULL
                    );
                    CREATE INDEX hh_tokens_by_key ON hh_tokens(key_id);
                    CREATE TABLE oauth_states (
                        state_hash BLOB PRIMARY KEY,
                        redirect_uri TEXT,
                        expires_at REAL NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX oauth_states_by_expiry ON oauth_states(expires_at);
                    CREATE TABLE exchange_codes (
                        code_hash BLOB PRIMARY KEY,
                        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        expires_at REAL NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX exchange_codes_by_expiry ON exchange_codes(expires_at);
                    CREATE INDEX exchange_codes_by_user ON exchange_codes(user_id);
                    CREATE TABLE audit_events (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        event_type TEXT NOT NULL,
                        user_id INTEGER,
                        metadata TEXT NOT NULL,
                        created_at REAL NOT NULL,
                        hash TEXT NOT NULL
                    );
                    CREATE INDEX audit_by_type ON audit_events(event_type, id);
                    CREATE INDEX audit_by_user ON audit_events(user_id, id);
                    CREATE INDEX audit_by_time ON audit_events(created_at);
                    CREATE TABLE audit_guard (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        pruning INTEGER NOT NULL DEFAULT 0,
                        anchor_id INTEGER NOT NULL DEFAULT 0,
                        anchor_hash TEXT NOT NULL DEFAULT '0000000000000000000000000000000000000000000000000000000000000000'
                    );
                    INSERT INTO audit_guard (id, pruning) VALUES (1, 0);
                    CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
                    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
                    CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
                    WHEN (SELECT pruning FROM audit_guard WHERE id = 1) = 0
                    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
                    """)
        }
        migrator.registerMigration("v2: revocation queue") { db in
            // Pairs our side has let go of, until HH confirms them revoked (or dead): a pair deleted
            // before its revoke went through would otherwise stay live at HH for good.
            try db.execute(
                sql: """
                    CREATE TABLE hh_revocations (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        user_id INTEGER NOT NULL,
                        key_id TEXT NOT NULL,
                        access_token BLOB NOT NULL,
                        refresh_token BLOB NOT NULL,
                        expires_at REAL NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        next_attempt_at REAL NOT NULL,
                        created_at REAL NOT NULL
                    );
                    CREATE INDEX hh_revocations_due ON hh_revocations(next_attempt_at);
                    CREATE INDEX hh_revocations_by_key ON hh_revocations(key_id);
                    """)
        }
        migrator.registerMigration("v3: browser sessions and whitelist groups") { db in
            // `kind`: 'program' (an exchange code's session) or 'browser' (a cookie's). `last_seen_at`:
            // when a browser session was last used, kept coarsely for the idle timeout (NULL: never
            // recorded). `groups`: the entry's group names, comma-separated, sorted, for the
            // per-location rules of `/auth/verify/{group}`.
            try db.execute(
                sql: """
                    ALTER TABLE sessions ADD COLUMN kind TEXT NOT NULL DEFAULT 'program';
                    ALTER TABLE sessions ADD COLUMN last_seen_at REAL;
                    ALTER TABLE allowed_users ADD COLUMN groups TEXT NOT NULL DEFAULT '';
                    CREATE INDEX sessions_idle_browser ON sessions(last_seen_at) WHERE kind = 'browser';
                    """)
        }
        return migrator
    }
}
