/// Session change triggers (``PostgreSQLSchema/sessionChangeTriggers``) a migration found missing
/// (a partial restore, a `DROP TRIGGER`) or not enabled `ALWAYS` (a restore's `ENABLE TRIGGER ALL`
/// leaves them `ORIGIN`; an operator disabled one) and could not put back: a table stayed busy past
/// the lock's half second, or the role does not own it. The schema is still migrated; until they
/// are back, every node's session cache stays off (lookups ask PostgreSQL), which is safe but
/// slower.
public struct SessionChangeTriggersLeftOff: Sendable, Equatable, CustomStringConvertible {
    /// The triggers' names, sorted: those missing and those not `ALWAYS`.
    public let names: [String]
    /// Of ``names``, those that do not exist at all.
    public let missing: [String]
    /// PostgreSQL's message for the statement that failed.
    public let cause: String

    public var description: String {
        let missingNote = missing.isEmpty ? "" : " (missing: \(missing.joined(separator: ", ")))"
        return "the session change triggers \(names.joined(separator: ", ")) are not all there and enabled ALWAYS"
            + "\(missingNote), and could not be put back (\(cause)): every node's session cache stays off, lookups ask "
            + "PostgreSQL, until `hh-auth migrate` puts them back (run it as the tables' owner when they are not busy)"
    }
}
