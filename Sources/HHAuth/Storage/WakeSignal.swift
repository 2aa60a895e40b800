import Foundation

/// Wakes a background thread early: a signal is kept until the thread next waits, so one sent
/// while it was busy is not lost.
public final class WakeSignal: @unchecked Sendable {
    private let condition = NSCondition()
    private var signalled = false

    public init() {}

    public func signal() {
        condition.lock()
        signalled = true
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for a signal or `deadline`; true when signalled. Takes the signal.
    public func wait(until deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !signalled {
            if !condition.wait(until: deadline) { break }
        }
        let woken = signalled
        signalled = false
        return woken
    }
}
