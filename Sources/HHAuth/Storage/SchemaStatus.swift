import GRDB

/// A database's migrations against this binary's (``Migrations``): current, behind (`serve` or
/// `migrate` would apply the missing ones) or ahead (a newer hh-auth wrote it; this one refuses it).
public struct SchemaStatus: Sendable, Equatable {
    /// The migrations this binary knows, in order.
    public let known: [String]
    /// The migrations the file records as applied, in the order this binary knows them, then any it
    /// does not know.
    public let applied: [String]

    public init(known: [String], applied: [String]) {
        self.known = known
        self.applied = applied
    }

    /// Known migrations the file has not had.
    public var missing: [String] { known.filter { !applied.contains($0) } }
    /// Applied migrations this binary does not know: a newer hh-auth ran them.
    public var unknown: [String] { applied.filter { !known.contains($0) } }
    public var isCurrent: Bool { missing.isEmpty && unknown.isEmpty }
}

extension DatabaseInspection {
    /// Where the file's schema stands; reading it changes nothing.
    public func schemaStatus() throws -> SchemaStatus {
        let migrator = Migrations.migrator
        let applied = try read { db in try migrator.appliedIdentifiers(db) }
        let known = migrator.migrations
        return SchemaStatus(
            known: known, applied: known.filter(applied.contains) + applied.filter { !known.contains($0) }.sorted())
    }
}
