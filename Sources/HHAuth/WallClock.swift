import Foundation

/// The time source; tests move it by hand to expire states, codes and sessions without sleeping.
public protocol WallClock: Sendable {
    func now() -> Date
}

/// The wall clock.
public struct SystemClock: WallClock {
    public init() {}
    public func now() -> Date { Date() }
}

extension Date {
    /// The contract's timestamps have whole seconds (`2025-01-10T10:00:00Z`).
    var wholeSeconds: Date {
        Date(timeIntervalSince1970: timeIntervalSince1970.rounded(.down))
    }
}
