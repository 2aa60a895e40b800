/// What the nodes of one deployment share beyond the stores' rows (docs/scale-out.md): the rate
/// counts, the admin lockout, which janitor leads. An engine that several processes may share
/// offers one (``StorageEngine/sharedState``); without it (SQLite, one process) each of these
/// lives in the process as it always did.
public struct SharedNodeState: Sendable {
    /// The counts of the per-client limits (``ClientRateLimiter``, the sign-ins per minute).
    public let windowCounts: any WindowCountStore
    /// The admin throttle's state for these limits.
    let failedLogins: @Sendable (FailedLoginThrottle.Limits) -> any FailedLoginStore
    /// A new claim on the janitor's lead, on a connection of its own; woken by `wake` when
    /// another node queues a pair for revocation.
    let janitorLeadership: @Sendable (_ wake: WakeSignal) -> any JanitorLeadership

    init(
        windowCounts: any WindowCountStore,
        failedLogins: @escaping @Sendable (FailedLoginThrottle.Limits) -> any FailedLoginStore,
        janitorLeadership: @escaping @Sendable (WakeSignal) -> any JanitorLeadership
    ) {
        self.windowCounts = windowCounts
        self.failedLogins = failedLogins
        self.janitorLeadership = janitorLeadership
    }
}

/// Whether a janitor may run its passes: of all the nodes' janitors, one at a time
/// (docs/scale-out.md, "Janitor: one node at a time").
protocol JanitorLeadership: Sendable {
    /// True while this janitor leads: takes the lead when nobody holds it, and checks that a lead
    /// taken before is still held (it goes with a lost connection).
    func leads() -> Bool
    /// Gives the lead up (the janitor stops), so another node's takes it at its next pass.
    func resign()
}
