/// A step on the shared state that failed on this node before the database was asked: its turn
/// (another of this node's threads had it) did not come in time, or too many of its requests
/// already waited for it. Not the database's error: ``SharedStateMonitor`` logs it as this node's
/// turn and does not count it in `hh_auth_database_errors_total`.
protocol LocalTurnFailure: Error, CustomStringConvertible {}

/// A wait for this node's own turn at a duty on the shared state that ran past its deadline.
struct LocalTurnTimeout: LocalTurnFailure {
    /// What waited ("the admin throttle").
    let duty: String
    let seconds: Double

    var description: String { "\(duty)'s turn on this node stayed busy past \(seconds) s" }
}

/// A step refused without waiting: `waiting` of this node's steps already held or waited for the
/// duty's turn, so one more would only hold a worker thread too.
struct LocalTurnCrowded: LocalTurnFailure {
    /// What was refused ("the admin throttle").
    let duty: String
    let waiting: Int

    var description: String { "\(duty)'s turn on this node already has \(waiting) steps holding or waiting for it" }
}
