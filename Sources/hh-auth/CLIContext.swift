import ArgumentParser
import Foundation
import HHAuth
import HTTPCore

/// What every operator command needs: the database `DATABASE_URL` (PostgreSQL) or `DATABASE_PATH`
/// (SQLite) names, the domain pieces over it, and the actor name `cli:<unix user>` its audit events
/// carry. Settings come through
/// ``SettingsOptions`` with the production defaults (`/etc/hh-auth/env`, `/etc/hh-auth/credentials`).
struct CLIContext {
    let services: DomainServices
    let actor: AdminActor

    /// `requireKey`: commands that must decrypt tokens refuse to run without `ENCRYPTION_KEY`.
    static func open(_ options: SettingsOptions, requireKey: Bool = false) throws -> CLIContext {
        // What these write (SQLite's `-wal`/`-shm`, a backup) is the owner's alone, as the service's.
        umask(0o077)
        return try reading(options, requireKey: requireKey)
    }

    /// ``open(_:requireKey:)`` without setting the process's umask: for tests, which share one
    /// process with others that make directories meanwhile.
    static func reading(_ options: SettingsOptions, requireKey: Bool = false) throws -> CLIContext {
        let settings = try StartupFailure.exitOnError { try options.settings(defaults: .production) }
        let parser = ConfigurationParser(settings: settings)
        // Read before the database opens, and refused as `serve` refuses them: the lists, the
        // counts and whether a user's last session just ended go by the service's idle rule.
        let sessions = try StartupFailure.exitOnError {
            (lifetimeSeconds: try parser.sessionLifetimeSeconds(), browser: try parser.browserSessions())
        }
        let database = try openDatabase(parser)
        let vault: TokenVault
        let keyText = parser.optional("ENCRYPTION_KEY", secret: true)
        if let keyText, let key = EncryptionKey(encoded: keyText) {
            let old = (parser.optional("ENCRYPTION_OLD_KEYS", secret: true) ?? "").split(separator: ",")
                .compactMap { EncryptionKey(encoded: String($0)) }
            vault = TokenVault(current: key, old: old)
        } else if requireKey {
            guard keyText == nil else {
                throw StartupFailure.exit("ENCRYPTION_KEY: must be 32 bytes, base64 or base64url encoded")
            }
            // Under `sudo -u hh-auth`, the usual reason: the credentials are root's alone.
            let unread = settings["CREDENTIALS_DIRECTORY"].map { unreadKey($0 + "/encryption_key") } ?? ""
            throw StartupFailure.exit("ENCRYPTION_KEY: is required for this command but not set\(unread)")
        } else {
            // Without the key, tokens can still be deleted (ending sessions), never read.
            vault = TokenVault(current: EncryptionKey(bytes: Data((0..<32).map { _ in UInt8.random(in: 0...255) })))
        }
        let services = try StartupFailure.exitOnError {
            try domainServices(
                database, vault: vault, lifetimeSeconds: sessions.lifetimeSeconds,
                idleSeconds: sessions.browser.idleTimeoutSeconds)
        }
        return CLIContext(services: services, actor: AdminActor(name: "cli:" + UnixAccount.userName(geteuid())))
    }

    /// The services with the sessions' settings as `serve` has them; an unset lifetime is the
    /// services' default, as the service's.
    private static func domainServices(
        _ database: EngineSource, vault: TokenVault, lifetimeSeconds: Double?, idleSeconds: Double?
    ) throws -> DomainServices {
        guard let lifetimeSeconds else {
            return try DomainServices(
                engine: database, vault: vault, clock: SystemClock(), sessionIdleSeconds: idleSeconds)
        }
        return try DomainServices(
            engine: database, vault: vault, clock: SystemClock(), sessionLifetimeSeconds: lifetimeSeconds,
            sessionIdleSeconds: idleSeconds)
    }

    /// Why the key file of the credentials directory gave nothing: not there, or not readable (a
    /// file from before the service's user read them through its group is 0600 root's).
    private static func unreadKey(_ file: String) -> String {
        guard case .found(let found) = FileAccess.lookup(file), faccessat(AT_FDCWD, file, R_OK, AT_EACCESS) != 0 else {
            return " (nor readable as \(file))"
        }
        return " (\(file) is \(found.description), unreadable as \(UnixAccount.userName(geteuid())); "
            + SettingsPathAccess.wanted + ")"
    }

    /// Only `serve` and `migrate` create a database: an operator command run with the setting
    /// missing or mistyped must not report success against a new, empty file (or an empty
    /// PostgreSQL database). Nor does root open the service's SQLite file (``DatabaseOwner``).
    private static func openDatabase(_ parser: ConfigurationParser) throws -> EngineSource {
        let selection = try StartupFailure.exitOnError { try parser.database() }
        if parser.ignoresDatabasePath { SettingsOptions.writeNote(ConfigurationParser.databasePathIgnored) }
        switch selection {
        case nil:
            throw StartupFailure.exit(DatabasePathRefusal.unset)
        case .postgreSQL(let connectionString)?:
            try DatabaseURLRefusal.requireHHAuthSchema(connectionString)
            return .postgreSQL(connectionString: connectionString, errors: nil)
        case .sqlite(let path)?:
            try DatabaseOwner.refuseRootOnAnotherUsersFile(path)
            do {
                return .sqlite(try AppDatabase(path: path, mustExist: true))
            } catch {
                if let line = DatabasePathRefusal.line(for: error, path: path) { throw StartupFailure.exit(line) }
                throw StartupFailure.exit(String(describing: error), code: 1)
            }
        }
    }
}

/// Exit codes of the operator commands: 0 ok, 1 not found, 2 usage.
enum CLIExit {
    static let notFound = ExitCode(1)
    static let usage = ExitCode(2)

    static func fail(_ message: String, _ code: ExitCode) -> ExitCode {
        FileHandle.standardError.write(Data("hh-auth: \(message)\n".utf8))
        return code
    }
}

/// Aligned plain-text tables for people; `--json` output is for scripts.
enum TableOutput {
    static func render(_ header: [String], _ rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows { widen(&widths, to: row) }
        return ([line(header, widths)] + rows.map { line($0, widths) }).joined(separator: "\n")
    }

    private static func widen(_ widths: inout [Int], to row: [String]) {
        for (index, cell) in row.enumerated() where index < widths.count {
            widths[index] = max(widths[index], cell.count)
        }
    }

    private static func line(_ cells: [String], _ widths: [Int]) -> String {
        cells.enumerated().map { index, cell in
            index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
        }.joined(separator: "  ")
    }

    /// An aligned table whose rows are never all in memory: `rows` hands each row to its
    /// argument, and is called twice (to measure the columns, then to print), so it must produce
    /// the same rows both times.
    static func stream(_ header: [String], rows: (_ emit: ([String]) -> Void) throws -> Void) throws {
        var widths = header.map(\.count)
        try rows { row in widen(&widths, to: row) }
        print(line(header, widths))
        try rows { print(line($0, widths)) }
    }

    /// A JSON array written element by element as `elements` hands them over.
    static func streamJSON<T: Encodable>(_ elements: (_ emit: (T) throws -> Void) throws -> Void) throws {
        var first = true
        print("[", terminator: "")
        try elements { element in
            print(first ? "" : ",", try json(element), separator: "", terminator: "")
            first = false
        }
        print("]")
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try JSONCoding.encoder.encode(value), as: UTF8.self)
    }

    /// `2025-01-10T10:00:00Z`; a format style, not a new `ISO8601DateFormatter` per cell (listings stream many rows).
    static func date(_ date: Date) -> String { date.formatted(iso8601) }

    private static let iso8601 = Date.ISO8601FormatStyle()
}
