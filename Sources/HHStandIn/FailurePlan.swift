/// The HH endpoints whose answers `/_control/fail` can break.
enum FailingEndpoint: String, Sendable, CaseIterable {
    case token, me, revoke, authorize
    /// A rule for every endpoint; a rule for one endpoint takes precedence over it.
    case all
}

/// How a broken endpoint answers.
enum FailureMode: Sendable, Equatable {
    /// 500 with `{"error":"server_error"}`.
    case serverError
    /// 200 with a body that is not JSON, as a misbehaving proxy would send.
    case garbage
    /// Holds the worker for this many seconds, then 504: the caller must have given up by then.
    case hang(seconds: Double)
    /// Holds the worker for this many seconds, then answers normally: a slow but working HH, so a
    /// test can keep requests in flight (see `in_flight` in ``StandInStats``).
    case delay(seconds: Double)
}

/// The failures currently injected, with how many answers each still has to break.
struct FailurePlan: Sendable {
    private struct Rule: Sendable {
        var mode: FailureMode
        /// `nil` means until reset or `mode: none`.
        var remaining: Int?
    }

    private var rules: [FailingEndpoint: Rule] = [:]

    /// Breaks the next `count` answers of `endpoint` (all of them when `count` is `nil`).
    mutating func inject(_ mode: FailureMode, into endpoint: FailingEndpoint, count: Int?) {
        rules[endpoint] = Rule(mode: mode, remaining: count)
    }

    /// `mode: none`: for `.all` every rule goes, for one endpoint only that endpoint's own rule.
    mutating func clear(_ endpoint: FailingEndpoint) {
        if endpoint == .all { rules = [:] } else { rules[endpoint] = nil }
    }

    /// The failure to apply to this answer, if any, counting it against the rule's budget.
    mutating func take(for endpoint: FailingEndpoint) -> FailureMode? {
        let key: FailingEndpoint
        if rules[endpoint] != nil { key = endpoint } else if rules[.all] != nil { key = .all } else { return nil }
        guard var rule = rules[key] else { return nil }
        if let remaining = rule.remaining {
            rule.remaining = remaining - 1
            rules[key] = remaining <= 1 ? nil : rule
        }
        return rule.mode
    }
}
