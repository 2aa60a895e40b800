import WorkerThreads

/// The throttle's state in this process's memory, behind one lock: one node (SQLite).
///
/// Memory is bounded: at most `maxAddresses` entries in each table (each /64 at most
/// `maxFailures` timestamps) and `maxFailuresAllAddresses` timestamps for the account. A full
/// table forgets the stalest entries first; forgetting can only give an address its tries back,
/// never lock anyone out, and the bucket still bounds what those tries cost.
final class InMemoryFailedLogins: FailedLoginStore {
    private let ledger: Ledger
    private let lock = Lock(())

    init(_ limits: FailedLoginThrottle.Limits) {
        ledger = Ledger(limits)
    }

    func withLedger<T>(_ body: (any FailedLoginLedger) throws -> T) throws -> T {
        try lock.withLock { _ in try body(ledger) }
    }

    /// How many addresses and blocks are tracked now, the larger.
    var trackedAddresses: Int { lock.withLock { _ in max(ledger.addresses.count, ledger.blocks.count) } }

    /// Touched only under the store's lock.
    private final class Ledger: FailedLoginLedger, @unchecked Sendable {
        let limits: FailedLoginThrottle.Limits
        /// Failure times per /64, oldest first, at most `maxFailures` each.
        var addresses: [String: [Double]] = [:]
        var blocks: [String: FailedLoginBlock] = [:]
        /// Guard units where the right password was verified, with the time it last was.
        var trusted: [String: Double] = [:]
        var account: TimestampRing
        var bucket: VerificationBucket

        init(_ limits: FailedLoginThrottle.Limits) {
            self.limits = limits
            account = TimestampRing(capacity: max(1, limits.maxFailuresAllAddresses))
            bucket = VerificationBucket(
                perSecond: limits.guardedChecksPerSecond, burst: limits.guardedChecksPerSecond.rounded(.up))
        }

        func failures(address key: String) -> [Double] { addresses[key] ?? [] }

        func oldestAccountFailure() -> Double? { account.isFull ? account.oldest : nil }

        func block(_ key: String, now: Double) -> FailedLoginBlock? { blocks[key] }

        func isTrusted(_ block: String) -> Bool { trusted[block] != nil }

        func takeCheck(now: Double) -> Double? { bucket.take(now: now) }

        func save(_ block: FailedLoginBlock?, for key: String, now: Double) {
            guard let block else {
                blocks[key] = nil
                return
            }
            if blocks[key] == nil, blocks.count >= limits.maxAddresses { evictBlocks(now: now) }
            blocks[key] = block
        }

        func addFailure(address key: String, now: Double) {
            var failures = (addresses[key] ?? []).filter { $0 > now - limits.windowSeconds }
            failures.append(now)
            if failures.count > limits.maxFailures { failures.removeFirst(failures.count - limits.maxFailures) }
            if addresses[key] == nil, addresses.count >= limits.maxAddresses { evictAddresses(now: now) }
            addresses[key] = failures
            account.append(now)
        }

        func clearFailures(address key: String) { addresses[key] = nil }

        func trust(_ block: String, now: Double) {
            if trusted[block] == nil, trusted.count >= limits.maxTrustedAddresses,
                let oldest = trusted.min(by: { $0.value < $1.value })
            {
                trusted[oldest.key] = nil
            }
            trusted[block] = now
        }

        /// Drops addresses with nothing in the window, then, if still full, the half whose last
        /// failure is oldest.
        private func evictAddresses(now: Double) {
            let since = now - limits.windowSeconds
            addresses = addresses.filter { ($0.value.last ?? 0) > since }
            guard addresses.count >= limits.maxAddresses else { return }
            let stalest = addresses.sorted { ($0.value.last ?? 0) < ($1.value.last ?? 0) }
                .prefix(addresses.count - limits.maxAddresses / 2)
            for (key, _) in stalest { addresses[key] = nil }
        }

        /// Drops blocks past their pause with no check under way (they weigh nothing), then, if
        /// still full, the half whose last failure is oldest.
        private func evictBlocks(now: Double) {
            let since = now - limits.guardedRetrySeconds
            blocks = blocks.filter { ($0.value.lastFailure ?? 0) > since || $0.value.checking > 0 }
            guard blocks.count >= limits.maxAddresses else { return }
            let stalest = blocks.filter { $0.value.checking == 0 }
                .sorted { ($0.value.lastFailure ?? 0) < ($1.value.lastFailure ?? 0) }
                .prefix(blocks.count - limits.maxAddresses / 2)
            for (key, _) in stalest { blocks[key] = nil }
        }
    }
}
