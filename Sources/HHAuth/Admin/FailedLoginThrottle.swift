import Foundation
import FastCGI

/// Counts failed admin logins per client address and per username in a sliding window; past the
/// limit both keys are locked until their oldest failure leaves the window, even for the right
/// password, so the admin password cannot be brute-forced.
///
/// Memory is bounded: at most `maxKeys` keys are tracked; the stalest are dropped first.
public final class FailedLoginThrottle: Sendable {
    private let maxFailures: Int
    private let windowSeconds: Double
    private let maxKeys: Int
    private let failures = Lock<[String: [Double]]>([:])

    public init(maxFailures: Int, windowSeconds: Double, maxKeys: Int = 10_000) {
        self.maxFailures = maxFailures
        self.windowSeconds = windowSeconds
        self.maxKeys = maxKeys
    }

    /// Seconds until the lock on any of `keys` lifts, or `nil` when none is locked.
    public func retryAfter(keys: [String], now: Double) -> Double? {
        failures.withLock { table in
            var longest: Double?
            for key in keys {
                let recent = (table[key] ?? []).filter { $0 > now - windowSeconds }
                guard recent.count >= maxFailures, let oldest = recent.first else { continue }
                longest = max(longest ?? 0, oldest + windowSeconds - now)
            }
            return longest
        }
    }

    public func recordFailure(keys: [String], now: Double) {
        failures.withLock { table in
            if table.count >= maxKeys { evict(&table, now: now) }
            for key in keys {
                var recent = (table[key] ?? []).filter { $0 > now - windowSeconds }
                recent.append(now)
                if recent.count > maxFailures { recent.removeFirst(recent.count - maxFailures) }
                table[key] = recent
            }
        }
    }

    /// Drops keys with nothing in the window, then, if still full, the ones whose last failure is oldest.
    private func evict(_ table: inout [String: [Double]], now: Double) {
        table = table.filter { ($0.value.last ?? 0) > now - windowSeconds }
        guard table.count >= maxKeys else { return }
        let stalest = table.sorted { ($0.value.last ?? 0) < ($1.value.last ?? 0) }.prefix(table.count - maxKeys / 2)
        for (key, _) in stalest { table[key] = nil }
    }
}
