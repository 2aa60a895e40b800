import HHAuth

/// Check 3: `ENCRYPTION_KEY` opens a stored HH token (or none is stored yet), and which keys of
/// `ENCRYPTION_OLD_KEYS` stored pairs still need. Key ids are shown, never keys.
struct EncryptionKeyCheck {
    let configuration: Configuration?
    /// The database, SQLite or PostgreSQL, when it opened with this binary's schema.
    let database: InspectedDatabase?

    func run() -> [DoctorFinding] {
        guard let configuration else {
            return ["encryption-key", "old-keys"].map { .notChecked($0, needs: "settings") }
        }
        guard let database else {
            return ["encryption-key", "old-keys"].map { .notChecked($0, needs: "database and migrations") }
        }
        let vault = TokenVault(current: configuration.encryptionKey, old: configuration.oldEncryptionKeys)
        let uses: [StoredTokenCheck.KeyUse]
        do {
            uses = try database.keysInUse(StoredTokenCheck(vault: vault))
        } catch {
            return [
                .fail("encryption-key", "cannot read the stored tokens: \(error)", "see that the database is readable"),
                .notChecked("old-keys", needs: "encryption-key"),
            ]
        }
        return [current(vault.currentKey.id, uses), old(configuration.oldEncryptionKeys.map(\.id), uses)]
    }

    private func current(_ id: String, _ uses: [StoredTokenCheck.KeyUse]) -> DoctorFinding {
        if let unknown = uses.first(where: { !$0.isKnown }) {
            return .fail(
                "encryption-key",
                "\(unknown.pairs) stored token pair(s) are sealed under key \(unknown.keyID), which is neither ENCRYPTION_KEY (key \(id)) nor in ENCRYPTION_OLD_KEYS; serve refuses to start like this",
                "set ENCRYPTION_KEY to the key they were sealed with (a new key goes in with the old one in ENCRYPTION_OLD_KEYS, then `hh-auth keys rotate`)"
            )
        }
        if let damaged = uses.first(where: { !$0.opens }) {
            return .fail(
                "encryption-key",
                "a stored pair sealed under key \(damaged.keyID) does not decrypt with it: the row is damaged or came from another database",
                "restore the newest `hh-auth backup`, or end the sessions it belongs to (`hh-auth sessions end`)")
        }
        guard let mine = uses.first(where: \.isCurrent) else {
            return .ok(
                "encryption-key",
                uses.isEmpty
                    ? "ENCRYPTION_KEY is key \(id); no stored tokens to open yet"
                    : "ENCRYPTION_KEY is key \(id); no stored pair is sealed under it yet (see old-keys)")
        }
        return .ok("encryption-key", "ENCRYPTION_KEY (key \(id)) opens a stored token; \(mine.pairs) pair(s) under it")
    }

    private func old(_ configured: [String], _ uses: [StoredTokenCheck.KeyUse]) -> DoctorFinding {
        let needed = uses.filter { $0.isKnown && !$0.isCurrent }
        if !needed.isEmpty {
            let keys = needed.map { "key \($0.keyID) still opens \($0.pairs) pair(s)" }.joined(separator: ", ")
            return .ok("old-keys", "\(keys): keep ENCRYPTION_OLD_KEYS until `hh-auth keys rotate` has moved them")
        }
        if configured.isEmpty { return .ok("old-keys", "none set, none needed") }
        let ids = configured.map { "key \($0)" }.joined(separator: ", ")
        return .ok(
            "old-keys",
            "no stored pair needs ENCRYPTION_OLD_KEYS (\(ids)) any more; it may go once every process runs with ENCRYPTION_KEY"
        )
    }
}
