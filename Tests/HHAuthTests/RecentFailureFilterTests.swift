import Testing

@testable import HHAuth

/// The admin throttle's per-node pre-filter (``RecentFailureFilter``): what it remembers expires
/// with the window, and a full table makes everyone read the state rather than forget a cap.
@Suite("Recent admin failures on this node")
struct RecentFailureFilterTests {
    let now = 1_750_000_000.0

    @Test func anAddressIsReadUntilItsFailureLeavesTheWindow() {
        let filter = RecentFailureFilter(capacity: 10)
        #expect(!filter.mayBeCapped("198.51.100.7", now: now))
        filter.remember("198.51.100.7", until: now + 900, now: now)
        #expect(filter.mayBeCapped("198.51.100.7", now: now + 899))
        #expect(!filter.mayBeCapped("198.51.100.7", now: now + 900))
        #expect(!filter.mayBeCapped("198.51.100.8", now: now + 1))
    }

    @Test func aFullTableFailsSafe() {
        let filter = RecentFailureFilter(capacity: 3)
        for index in 0..<3 { filter.remember("10.0.0.\(index)", until: now + 10, now: now) }
        // Expired entries make room first.
        filter.remember("10.0.1.0", until: now + 30, now: now + 20)
        #expect(filter.count == 1)
        filter.remember("10.0.1.1", until: now + 50, now: now + 20)
        filter.remember("10.0.1.2", until: now + 30, now: now + 20)
        // Full of live entries: everyone is read from the state for as long as any forgotten
        // entry would have been (the latest, 10.0.1.1's), then the new one's own entry counts.
        filter.remember("10.0.2.0", until: now + 60, now: now + 21)
        #expect(filter.count <= 3)
        #expect(filter.mayBeCapped("192.0.2.1", now: now + 49))
        #expect(filter.mayBeCapped("10.0.1.1", now: now + 49))
        #expect(!filter.mayBeCapped("192.0.2.1", now: now + 50))
        #expect(filter.mayBeCapped("10.0.2.0", now: now + 59))
    }
}
