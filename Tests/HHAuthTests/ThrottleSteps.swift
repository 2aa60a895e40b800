import Testing

@testable import HHAuth

/// One failed password check from `address` through `throttle` (recorded as an issue when the
/// throttle refuses to check at all).
func failOnce(_ throttle: FailedLoginThrottle, _ address: String, at time: Double) {
    guard case .admitted(let ticket) = throttle.admit(address: address, now: time) else {
        Issue.record("\(address) was refused")
        return
    }
    throttle.settle(ticket, passwordWasRight: false, now: time)
}

/// Whether the throttle let a password check go ahead.
func isAdmitted(_ admission: FailedLoginThrottle.Admission) -> Bool {
    if case .admitted = admission { return true }
    return false
}
