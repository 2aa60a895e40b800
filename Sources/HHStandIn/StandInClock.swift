import Foundation

/// The stand-in's time source. Token and code expiry read it, so unit tests can move time by hand
/// instead of sleeping through a 14-day token lifetime.
public protocol StandInClock: Sendable {
    /// The current time.
    func now() -> Date
}

/// The real wall clock, for the running stand-in.
public struct SystemStandInClock: StandInClock {
    public init() {}

    /// `Date()`.
    public func now() -> Date { Date() }
}
