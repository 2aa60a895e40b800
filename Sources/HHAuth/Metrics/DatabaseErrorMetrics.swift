import Prometheus

/// `hh_auth_database_errors_total{kind}`: every storage failure that came out of the engine's
/// reads and writes (``StorageFailure``), counted once there, whoever asked (a request, the
/// janitor, a save retry).
public final class DatabaseErrorMetrics: Sendable {
    /// The classes an operator acts on, named after SQLite's primary result codes (the labels
    /// predate other engines): one per ``StorageFailure/Kind``.
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

        /// The label a failure is counted under.
        init(_ kind: StorageFailure.Kind) {
            switch kind {
            case .busy: self = .busy
            case .locked: self = .locked
            case .full: self = .full
            case .io: self = .io
            case .corrupt: self = .corrupt
            case .readOnly: self = .readonly
            case .unavailable: self = .cantopen
            case .constraint: self = .constraint
            case .other: self = .other
            }
        }
    }

    private let counters: LabeledCounters<Kind>

    public init(registry: PrometheusCollectorRegistry) {
        counters = LabeledCounters(
            registry, name: "hh_auth_database_errors", label: "kind",
            help: "SQLite errors of the service's reads and writes, by kind")
    }

    func count(_ failure: StorageFailure) {
        counters.increment(Kind(failure.kind))
    }
}
