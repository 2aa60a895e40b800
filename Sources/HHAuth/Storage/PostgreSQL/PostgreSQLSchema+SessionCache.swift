extension PostgreSQLSchema {
    /// Every change that can make a node's remembered session lookup wrong (``SessionReadCache``)
    /// leaves a row in `session_changes`, in the same transaction: the user's id, or NULL when it
    /// may concern anyone, and the writing transaction's id (`tx`). The nodes read the rows every
    /// few milliseconds (``PostgreSQLSessionChangeFeed``). What counts as a change: a session
    /// updated or deleted, a user updated or deleted, a user's HH token written or deleted, a
    /// whitelist entry updated or deleted, any of these tables emptied. New sessions and users
    /// leave nothing: a lookup that found nothing is never remembered.
    ///
    /// Statement-level triggers with transition tables: one `INSERT` per statement, the distinct
    /// users it touched (the janitor deleting 100,000 expired sessions writes one row per user,
    /// in one statement). A row, not a `NOTIFY`: a notifying commit takes a lock on the whole
    /// server's notification queue until it has flushed (measured: 300 such commits a second at
    /// most, against 6,600 without, on two cores), and a listener that stops reading holds the
    /// queue for every session of the server until writes that notify fail. The triggers fire
    /// `ALWAYS`, also where `session_replication_role = replica` turns ordinary triggers off (a
    /// logical replication's apply, a restore); the feed checks on every read that all of them are
    /// there and enabled so, and answers from memory only while they are.
    static let v3 = """
        CREATE TABLE session_changes (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            tx xid8 NOT NULL DEFAULT pg_current_xact_id(),
            user_id bigint
        );
        CREATE INDEX session_changes_by_tx ON session_changes(tx);
        CREATE FUNCTION hh_session_changes_old() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_TABLE_NAME = 'allowed_users' THEN
                INSERT INTO session_changes (user_id) SELECT NULL WHERE EXISTS (SELECT 1 FROM old_rows);
            ELSIF TG_TABLE_NAME = 'users' THEN
                INSERT INTO session_changes (user_id) SELECT DISTINCT id FROM old_rows;
            ELSE
                INSERT INTO session_changes (user_id) SELECT DISTINCT user_id FROM old_rows;
            END IF;
            RETURN NULL;
        END;
        $$;
        CREATE FUNCTION hh_session_changes_new() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO session_changes (user_id) SELECT DISTINCT user_id FROM new_rows;
            RETURN NULL;
        END;
        $$;
        CREATE FUNCTION hh_session_changes_all() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO session_changes (user_id) VALUES (NULL);
            RETURN NULL;
        END;
        $$;
        \(triggers)
        """

    /// The triggers' names, one per table and event (a trigger with transition tables has one
    /// event); the feed checks that each is there and fires `ALWAYS`.
    static let sessionChangeTriggers: [(name: String, table: String, event: String, function: String)] = {
        var triggers: [(name: String, table: String, event: String, function: String)] = []
        for table in ["sessions", "users", "hh_tokens", "allowed_users"] {
            triggers.append(("\(table)_changes_update", table, "UPDATE", "hh_session_changes_old"))
            triggers.append(("\(table)_changes_delete", table, "DELETE", "hh_session_changes_old"))
            triggers.append(("\(table)_changes_truncate", table, "TRUNCATE", "hh_session_changes_all"))
        }
        triggers.append(("hh_tokens_changes_insert", "hh_tokens", "INSERT", "hh_session_changes_new"))
        return triggers
    }()

    private static var triggers: String {
        sessionChangeTriggers.map(createTrigger).joined(separator: "\n")
    }

    /// The statements that create `trigger` and enable it `ALWAYS` (v3, and `migrate` putting
    /// back one that was dropped).
    static func createTrigger(_ trigger: (name: String, table: String, event: String, function: String)) -> String {
        let transition =
            switch trigger.event {
            case "TRUNCATE": ""
            case "INSERT": " REFERENCING NEW TABLE AS new_rows"
            default: " REFERENCING OLD TABLE AS old_rows"
            }
        return """
            CREATE TRIGGER \(trigger.name) AFTER \(trigger.event) ON \(trigger.table)\(transition)
                FOR EACH STATEMENT EXECUTE FUNCTION \(trigger.function)();
            ALTER TABLE \(trigger.table) ENABLE ALWAYS TRIGGER \(trigger.name);
            """
    }
}
