import Foundation

/// Check 6: the system clock is sane. Sessions, exchange codes, login states and HH tokens all
/// expire by it, and HH refuses a refresh before its own clock says the access token expired.
struct ClockCheck {
    /// No clock that runs this hh-auth may be earlier: it was written after this.
    static let earliestPlausible = Date(timeIntervalSince1970: 1_735_689_600)  // 2025-01-01T00:00:00Z
    /// How far the newest audit event may be ahead of now (written by this clock, it should not be).
    static let auditSlackSeconds = 60.0
    /// How far HH's `Date` may be from ours.
    static let hhSkewSeconds = 120.0

    let now: Date
    /// When the newest audit event was written.
    let newestAuditEvent: Date?
    /// HH's `Date` header, when HH answered.
    let hhDate: Date?

    func run() -> DoctorFinding {
        let remedy = "set the clock right and keep it synchronized: timedatectl set-ntp true (then timedatectl status)"
        if now < Self.earliestPlausible {
            return .fail(
                "clock",
                "the system clock says \(Self.text(now)), before this hh-auth was written (\(Self.text(Self.earliestPlausible)))",
                remedy)
        }
        if let newest = newestAuditEvent, newest.timeIntervalSince(now) > Self.auditSlackSeconds {
            return .fail(
                "clock",
                "the system clock (\(Self.text(now))) is \(Int(newest.timeIntervalSince(now))) s behind the newest audit event (\(Self.text(newest))): it went back",
                remedy)
        }
        if let hhDate, abs(hhDate.timeIntervalSince(now)) > Self.hhSkewSeconds {
            return .fail(
                "clock",
                "the system clock (\(Self.text(now))) is \(Int(abs(hhDate.timeIntervalSince(now)))) s off HH's (its Date header: \(Self.text(hhDate)))",
                remedy)
        }
        var parts = [Self.text(now)]
        parts.append(
            newestAuditEvent.map { "not before the newest audit event (\(Self.text($0)))" }
                ?? "no audit events to compare")
        parts.append(
            hhDate.map { "within \(Int(abs($0.timeIntervalSince(now)).rounded())) s of HH's Date header" }
                ?? "HH's Date not compared (no answer with one)")
        return .ok("clock", parts.joined(separator: "; "))
    }

    private static func text(_ date: Date) -> String { date.formatted(Date.ISO8601FormatStyle()) }
}
