/// A callback that did not sign in (``LoginFlow/complete(_:from:)``): why, and whether its state
/// can still be used.
///
/// The callback route keeps the browser's pre-auth cookie only for an answer that asks for the
/// same callback again (429, 503) while the state is unused: once the state is spent, presenting
/// the callback again can only be refused, so the cookie goes with the answer.
public struct CallbackFailure: Error {
    /// What failed: a ``LoginError``, or HH's or the database's failure as it was thrown.
    public let underlying: any Error
    /// Whether the state can no longer sign anyone in: this callback used it up (whatever failed
    /// after that), or it was found used, expired or forged. `false`: the state is unused, as the
    /// callback found it.
    public let stateSpent: Bool

    public init(_ underlying: any Error, stateSpent: Bool) {
        self.underlying = underlying
        self.stateSpent = stateSpent
    }
}
