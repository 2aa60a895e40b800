extension PostgreSQLSchema {
    /// Every change that can make a node's remembered session lookup wrong
    /// (``SessionReadCache``) notifies `hh_sessions` (``PostgreSQLSessionCacheListener/channel``)
    /// with the user's id, or `*` when it may concern anyone, then a space and the table's schema
    /// (deployments in other schemas of the database hear it and let it be): a session updated or deleted, a
    /// user updated or deleted, a user's HH token written or deleted, a whitelist entry updated or
    /// deleted, any of these tables emptied. A trigger rather than the service's code, so that
    /// every writer is covered: another node, an `hh-auth` command, an operator's SQL. New rows
    /// notify nothing (but a token's): a lookup that found nothing is never remembered. The
    /// notification is delivered when the transaction commits, and not at all when it rolls back;
    /// one transaction's identical notifications are delivered once. The triggers fire `ALWAYS`,
    /// also where `session_replication_role = replica` turns ordinary triggers off (a logical
    /// replication's apply, a restore).
    static let v3 = """
        CREATE FUNCTION hh_session_cache_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_LEVEL = 'STATEMENT' OR TG_TABLE_NAME = 'allowed_users' THEN
                PERFORM pg_notify('hh_sessions', '* ' || TG_TABLE_SCHEMA);
            ELSIF TG_TABLE_NAME = 'users' THEN
                PERFORM pg_notify('hh_sessions', OLD.id || ' ' || TG_TABLE_SCHEMA);
            ELSIF TG_OP = 'DELETE' THEN
                PERFORM pg_notify('hh_sessions', OLD.user_id || ' ' || TG_TABLE_SCHEMA);
            ELSE
                PERFORM pg_notify('hh_sessions', NEW.user_id || ' ' || TG_TABLE_SCHEMA);
                IF TG_OP = 'UPDATE' AND OLD.user_id <> NEW.user_id THEN
                    PERFORM pg_notify('hh_sessions', OLD.user_id || ' ' || TG_TABLE_SCHEMA);
                END IF;
            END IF;
            RETURN NULL;
        END;
        $$;
        CREATE TRIGGER sessions_cache_notify AFTER UPDATE OR DELETE ON sessions
            FOR EACH ROW EXECUTE FUNCTION hh_session_cache_notify();
        CREATE TRIGGER sessions_cache_notify_truncate AFTER TRUNCATE ON sessions
            FOR EACH STATEMENT EXECUTE FUNCTION hh_session_cache_notify();
        CREATE TRIGGER users_cache_notify AFTER UPDATE OR DELETE ON users
            FOR EACH ROW EXECUTE FUNCTION hh_session_cache_notify();
        CREATE TRIGGER users_cache_notify_truncate AFTER TRUNCATE ON users
            FOR EACH STATEMENT EXECUTE FUNCTION hh_session_cache_notify();
        CREATE TRIGGER hh_tokens_cache_notify AFTER INSERT OR UPDATE OR DELETE ON hh_tokens
            FOR EACH ROW EXECUTE FUNCTION hh_session_cache_notify();
        CREATE TRIGGER hh_tokens_cache_notify_truncate AFTER TRUNCATE ON hh_tokens
            FOR EACH STATEMENT EXECUTE FUNCTION hh_session_cache_notify();
        CREATE TRIGGER allowed_users_cache_notify AFTER UPDATE OR DELETE ON allowed_users
            FOR EACH ROW EXECUTE FUNCTION hh_session_cache_notify();
        CREATE TRIGGER allowed_users_cache_notify_truncate AFTER TRUNCATE ON allowed_users
            FOR EACH STATEMENT EXECUTE FUNCTION hh_session_cache_notify();
        ALTER TABLE sessions ENABLE ALWAYS TRIGGER sessions_cache_notify;
        ALTER TABLE sessions ENABLE ALWAYS TRIGGER sessions_cache_notify_truncate;
        ALTER TABLE users ENABLE ALWAYS TRIGGER users_cache_notify;
        ALTER TABLE users ENABLE ALWAYS TRIGGER users_cache_notify_truncate;
        ALTER TABLE hh_tokens ENABLE ALWAYS TRIGGER hh_tokens_cache_notify;
        ALTER TABLE hh_tokens ENABLE ALWAYS TRIGGER hh_tokens_cache_notify_truncate;
        ALTER TABLE allowed_users ENABLE ALWAYS TRIGGER allowed_users_cache_notify;
        ALTER TABLE allowed_users ENABLE ALWAYS TRIGGER allowed_users_cache_notify_truncate;
        """
}
