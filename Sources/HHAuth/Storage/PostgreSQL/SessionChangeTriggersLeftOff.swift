/// Session change triggers (``PostgreSQLSchema/sessionChangeTriggers``) a migration found not
/// enabled `ALWAYS` (a restore's `ENABLE TRIGGER ALL` leaves them `ORIGIN`; an operator disabled
/// one) and could not set so: a table stayed busy past the lock's half second, or the role does
/// not own it. The schema is still migrated; until they are `ALWAYS`, every node's session cache
/// stays off (lookups ask PostgreSQL), which is safe but slower.
public struct SessionChangeTriggersLeftOff: Sendable, Equatable, CustomStringConvertible {
    /// The triggers' names, sorted.
    public let names: [String]
    /// PostgreSQL's message for the statement that failed.
    public let cause: String

    public var description: String {
        "the session change triggers \(names.joined(separator: ", ")) are not enabled ALWAYS and could not be set so "
            + "(\(cause)): every node's session cache stays off, lookups ask PostgreSQL, until `hh-auth migrate` "
            + "sets them (run it as the tables' owner when they are not busy)"
    }
}
