import GRDB
import Prometheus

/// `hh_auth_database_errors_total{kind}`: every SQLite error that came out of ``AppDatabase``'s
/// reads and writes, counted once there, whoever asked (a request, the janitor, a save retry).
public final class DatabaseErrorMetrics: Sendable {
    /// SQLite's primary result codes, in the classes an operator acts on (``ErrorMapping/databaseErrorKind(of:)``).
    public enum Kind: String, CaseIterable, Sendable {
        /// `SQLITE_BUSY`: another connection held the write lock past the busy timeout.
        case busy
        /// `SQLITE_LOCKED`: a conflict within one connection's shared cache.
        case locked
        /// `SQLITE_FULL`: the disk is full.
        case full
        /// `SQLITE_IOERR`: the operating system failed a read, write or sync.
        case io
        /// `SQLITE_CORRUPT`, `SQLITE_NOTADB`: the file is damaged.
        case corrupt
        /// `SQLITE_READONLY`: the file or its directory cannot be written.
        case readonly
        /// `SQLITE_CANTOPEN`: the file, its `-wal` or `-shm` cannot be opened (ownership, permissions).
        case cantopen
        /// `SQLITE_CONSTRAINT`: a write broke a constraint (a bug, or two writers' race).
        case constraint
        /// Any other code.
        case other
    }

    private let counters: LabeledCounters<Kind>

    public init(registry: PrometheusCollectorRegistry) {
        counters = LabeledCounters(
            registry, name: "hh_auth_database_errors", label: "kind",
            help: "SQLite errors of the service's reads and writes, by kind")
    }

    func count(_ error: DatabaseError) {
        counters.increment(ErrorMapping.databaseErrorKind(of: error))
    }
}
