import Prometheus

/// `hh_auth_database_errors_total{kind}`: every storage failure that came out of the engine's
/// reads and writes (``StorageFailure``), counted once there, whoever asked (a request, the
/// janitor, a save retry). The engine is told apart only where the same failure means something
/// else: SQLite's file that cannot be opened is `cantopen`, a PostgreSQL server that cannot be
/// reached is `unavailable` (``counting(for:)``).
public final class DatabaseErrorMetrics: Sendable {
    /// Which engine's failures an instance counts.
    public enum Engine: Sendable { case sqlite, postgreSQL }

    /// The classes an operator acts on, named after SQLite's primary result codes (the labels
    /// predate other engines), plus `unavailable` for a database server that cannot be reached.
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
        /// PostgreSQL: the server cannot be reached (down, starting, out of connections) or a
        /// connection to it broke.
        case unavailable

        /// The label a failure of `engine` is counted under.
        init(_ kind: StorageFailure.Kind, engine: Engine = .sqlite) {
            switch kind {
            case .busy: self = .busy
            case .locked: self = .locked
            case .full: self = .full
            case .io: self = .io
            case .corrupt: self = .corrupt
            case .readOnly: self = .readonly
            case .unavailable: self = engine == .sqlite ? .cantopen : .unavailable
            case .constraint: self = .constraint
            case .other: self = .other
            }
        }
    }

    private let counters: LabeledCounters<Kind>
    private let engine: Engine

    /// The counters, for SQLite's failures.
    public init(registry: PrometheusCollectorRegistry) {
        counters = LabeledCounters(
            registry, name: "hh_auth_database_errors", label: "kind",
            help: "Database errors of the service's reads and writes, by kind")
        engine = .sqlite
    }

    private init(counters: LabeledCounters<Kind>, engine: Engine) {
        self.counters = counters
        self.engine = engine
    }

    /// The same counters, labelling `engine`'s failures.
    public func counting(for engine: Engine) -> DatabaseErrorMetrics {
        DatabaseErrorMetrics(counters: counters, engine: engine)
    }

    func count(_ failure: StorageFailure) {
        counters.increment(Kind(failure.kind, engine: engine))
    }
}
