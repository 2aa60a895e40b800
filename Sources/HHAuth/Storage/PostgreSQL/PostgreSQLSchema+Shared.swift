extension PostgreSQLSchema {
    /// What the nodes share besides the stores (docs/scale-out.md): the limits' counts
    /// (``PostgreSQLWindowCounts``) and the admin throttle's state (``PostgreSQLFailedLogins``).
    static let v2 = """
        CREATE TABLE rate_counts (
            scope text NOT NULL,
            key text NOT NULL,
            window_start bigint NOT NULL,
            count bigint NOT NULL,
            PRIMARY KEY (scope, key, window_start)
        );
        CREATE INDEX rate_counts_by_window ON rate_counts(window_start);
        CREATE TABLE admin_failures (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            address_key text NOT NULL,
            failed_at double precision NOT NULL,
            cleared boolean NOT NULL DEFAULT false
        );
        CREATE INDEX admin_failures_by_address ON admin_failures(address_key, id);
        CREATE INDEX admin_failures_by_time ON admin_failures(failed_at);
        CREATE TABLE admin_blocks (
            block_key text PRIMARY KEY,
            last_failure double precision,
            checking integer NOT NULL DEFAULT 0,
            checking_until double precision NOT NULL DEFAULT 0
        );
        CREATE TABLE admin_trusted_addresses (
            block_key text PRIMARY KEY,
            verified_at double precision NOT NULL
        );
        CREATE TABLE admin_check_bucket (
            id integer PRIMARY KEY CHECK (id = 1),
            tokens double precision NOT NULL,
            refilled_at double precision
        );
        """
}
