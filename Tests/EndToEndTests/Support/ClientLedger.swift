import Foundation

/// What clients under load were told: every 2xx answer that promises lasting state, with what it
/// promises, and a count of every other answer by route and status. Afterwards a test checks each
/// promise against the service (``proofs``).
final class ClientLedger: @unchecked Sendable {
    /// What a 2xx answer promises.
    enum Proof: Hashable, Sendable {
        /// `/auth/exchange` or `/auth/token` answered 200 for this session: it stays valid.
        case session(String)
        /// `POST /admin/users/allow` answered 200 for this HH user id: it stays whitelisted.
        case whitelisted(String)
    }

    private let lock = NSLock()
    private var entries: [Proof] = []
    private var others: [Refusal: Int] = [:]
    private var unanswered = 0

    func record(_ proof: Proof) { locked { entries.append(proof) } }

    /// A non-2xx answer of one step.
    struct Refusal: Hashable, Sendable, CustomStringConvertible {
        var route: String
        var status: Int
        var description: String { "\(route) \(status)" }
    }

    /// A non-2xx answer to `route` (`status` nil: no answer at all, the connection failed).
    func recordRefusal(_ route: String, _ status: Int?) {
        locked {
            if let status { others[Refusal(route: route, status: status), default: 0] += 1 } else { unanswered += 1 }
        }
    }

    /// Every 2xx recorded, in order, repeats included.
    var proofs: [Proof] { locked { entries } }
    var count: Int { locked { entries.count } }
    /// Non-2xx answers by route and status.
    var refusals: [Refusal: Int] { locked { others } }
    var refusalCount: Int { locked { others.values.reduce(0, +) } }
    var unansweredCount: Int { locked { unanswered } }

    var sessions: [String] { proofs.compactMap(\.sessionID) }
    var whitelisted: [String] { proofs.compactMap(\.whitelistedID) }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }
}

extension ClientLedger.Proof {
    var sessionID: String? {
        if case .session(let id) = self { return id }
        return nil
    }

    var whitelistedID: String? {
        if case .whitelisted(let id) = self { return id }
        return nil
    }
}
