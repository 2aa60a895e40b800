import ArgumentParser
import Foundation
import HHAuth

/// `hh-auth hash-password`: prints a yescrypt hash for `ADMIN_PASSWORD`.
struct HashPasswordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash-password",
        abstract: "Read a password (no echo on a terminal, else from stdin) and print its $y$ hash.")

    func run() throws {
        guard let password = PasswordInput.read(prompt: "Password: "), !password.isEmpty else {
            throw CLIExit.fail("no password given", CLIExit.usage)
        }
        guard let hash = PasswordHash.make(password) else {
            throw CLIExit.fail("crypt(3) could not hash the password", ExitCode(1))
        }
        print(hash)
    }
}

/// `hh-auth keys rotate`: moves every stored HH token to `ENCRYPTION_KEY`.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Encryption keys.", subcommands: [Rotate.self])

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Re-encrypt every stored HH token under ENCRYPTION_KEY (old keys from ENCRYPTION_OLD_KEYS). Safe to rerun."
        )

        @OptionGroup var settings: SettingsOptions

        func run() throws {
            let context = try CLIContext.open(settings, requireKey: true)
            let moved = try KeyRotation(services: context.services).rotate(actor: context.actor)
            print("re-encrypted \(moved) token pair(s) under key \(context.services.vault.currentKey.id)")
        }
    }
}

/// `hh-auth backup <file>`: an online copy of the SQLite file that passes `PRAGMA integrity_check`.
/// On PostgreSQL the server's own tools copy the database (`pg_dump`); the command says so and
/// exits 2.
struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Copy the live database to a file.")
    @Argument(help: "Destination file (must not exist).") var file: String

    @OptionGroup var settings: SettingsOptions

    func run() throws {
        guard !FileManager.default.fileExists(atPath: file) else {
            throw CLIExit.fail("\(file) already exists", CLIExit.usage)
        }
        let context = try CLIContext.open(settings)
        guard let database = context.services.sqlite else {
            throw CLIExit.fail(Self.onPostgreSQL(file), CLIExit.usage)
        }
        let check: String
        do {
            check = try database.backup(to: file)
        } catch let error as POSIXError where error.code == .EEXIST {
            throw CLIExit.fail("\(file) already exists", CLIExit.usage)
        }
        guard check == "ok" else { throw CLIExit.fail("the copy failed its integrity check: \(check)", ExitCode(1)) }
        print("backup written to \(file) (integrity_check: ok)")
    }

    /// The hint names the server by PG* variables, not by the URL: a URL on pg_dump's command
    /// line shows its password to every user of the machine (`ps`).
    static func onPostgreSQL(_ file: String) -> String {
        "backup copies a SQLite file; DATABASE_URL selects PostgreSQL, which pg_dump copies: "
            + "pg_dump --format=custom --file=\(shellQuoted(file)) with the server, database and user of "
            + "DATABASE_URL in PGHOST, PGDATABASE and PGUSER (or a PGSERVICE entry) and the password in "
            + "~/.pgpass or PGPASSWORD, not on the command line (restore with pg_restore); "
            + "the dump holds sealed tokens and session hashes: keep it as private as the database"
    }

    /// `text` as one word for a POSIX shell, in single quotes unless it needs none.
    static func shellQuoted(_ text: String) -> String {
        let plain =
            !text.isEmpty
            && text.unicodeScalars.allSatisfy { scalar in
                scalar.isASCII
                    && (CharacterSet.alphanumerics.contains(scalar) || "/._-+:=@%,".unicodeScalars.contains(scalar))
            }
        return plain ? text : "'" + text.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}

/// `hh-auth cleanup`: one janitor pass.
struct CleanupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cleanup", abstract: "Delete expired states, codes and sessions once.")

    @OptionGroup var settings: SettingsOptions

    func run() throws {
        let swept = try Self.sweep(try CLIContext.open(settings))
        print("deleted \(swept.states) state(s), \(swept.exchangeCodes) exchange code(s), \(swept.sessions) session(s)")
    }

    /// One pass, as the service's: it deletes the browser sessions over for idleness too
    /// (`SESSION_IDLE_MINUTES`).
    static func sweep(_ context: CLIContext) throws -> Janitor.Sweep {
        try context.services.janitor(
            logger: .init(label: "hh-auth"), idleTimeoutSeconds: context.services.sessions.liveness.idleTimeoutSeconds
        ).sweep()
    }
}

/// Reads a password without echo from a terminal, or a line from a pipe.
enum PasswordInput {
    static func read(prompt: String) -> String? {
        guard isatty(STDIN_FILENO) == 1 else { return readLine(strippingNewline: true) }
        FileHandle.standardError.write(Data(prompt.utf8))
        var original = termios()
        tcgetattr(STDIN_FILENO, &original)
        var silent = original
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        defer {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &original)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        return readLine(strippingNewline: true)
    }
}
