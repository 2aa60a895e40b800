import WorkerThreads

/// Decides which failures of anonymous requests (a callback without a valid state) become audit
/// rows. Each row is an fsync'd write; recording every one would let anyone make the service write
/// as fast as they can send requests.
///
/// Per client address, the first failure in a window is recorded; later ones are counted and their
/// number goes into that address's next row (``Decision/repeats``). Across all addresses at most
/// `maxRowsPerWindow` rows are written per window; failures past that, or from addresses the
/// bounded table could not keep, are counted and their number goes into the next row written
/// (``Decision/others``). So the audit trail keeps who failed and how often, at a bounded write
/// rate; the metrics count every failure as it happens.
final class FailureAuditSampler: Sendable {
    /// Record this failure, with the counts of the ones that were not recorded.
    struct Decision: Sendable, Equatable {
        /// Failures of this address since its previous row that were counted but not written.
        var repeats: Int
        /// Failures of other addresses since the previous row that were counted but not written.
        var others: Int

        /// Adds the counts of unwritten failures to a row's metadata.
        func annotate(_ metadata: inout [String: AuditValue]) {
            if repeats > 0 { metadata["unrecorded_repeats"] = .integer(Int64(repeats)) }
            if others > 0 { metadata["unrecorded_others"] = .integer(Int64(others)) }
        }
    }

    private struct Entry {
        var window: Int
        var repeats: Int
    }

    private struct State {
        var window = 0
        var rowsInWindow = 0
        var entries: [String: Entry] = [:]
        var others = 0
    }

    private let windowSeconds: Int
    private let maxRowsPerWindow: Int
    private let capacity: Int
    private let state = Lock(State())

    init(windowSeconds: Int = 60, maxRowsPerWindow: Int = 60, capacity: Int = 10_000) {
        self.windowSeconds = max(1, windowSeconds)
        self.maxRowsPerWindow = maxRowsPerWindow
        self.capacity = max(1, capacity)
    }

    /// One failure from `address` at Unix time `now`: a ``Decision`` when it is to be recorded,
    /// `nil` when it was only counted.
    func admit(_ address: String, now: Double) -> Decision? {
        let window = Int(now) / windowSeconds
        return state.withLock { state -> Decision? in
            if state.window != window {
                state.window = window
                state.rowsInWindow = 0
            }
            let known = state.entries[address]
            if let known, known.window == window {
                state.entries[address]?.repeats += 1
                return nil
            }
            guard state.rowsInWindow < maxRowsPerWindow else {
                if known != nil { state.entries[address]?.repeats += 1 } else { state.others += 1 }
                return nil
            }
            if known == nil && state.entries.count >= capacity {
                Self.forgetPastWindows(in: &state)
                guard state.entries.count < capacity else {
                    state.others += 1
                    return nil
                }
            }
            state.rowsInWindow += 1
            let decision = Decision(repeats: known?.repeats ?? 0, others: state.others)
            state.others = 0
            state.entries[address] = Entry(window: window, repeats: 0)
            return decision
        }
    }

    /// Drops addresses not seen in the current window; their unrecorded counts move to `others`,
    /// so they still reach the next row.
    private static func forgetPastWindows(in state: inout State) {
        for (address, entry) in state.entries where entry.window != state.window {
            state.others += entry.repeats
            state.entries[address] = nil
        }
    }
}
