import HTTPCore

/// One line of `hh-auth doctor`: a check that passed, with what it saw, or one that failed, with
/// what is wrong and what to do about it.
struct DoctorFinding: Equatable {
    /// A short stable name (`database`, `hh-api-host`…): scripts may match on it.
    let check: String
    let passed: Bool
    /// Passed: what the check saw. Failed: what is wrong.
    let detail: String
    /// Failed: what to do; empty when passed.
    let remedy: String

    static func ok(_ check: String, _ detail: String) -> Self {
        Self(check: check, passed: true, detail: detail, remedy: "")
    }

    static func fail(_ check: String, _ problem: String, _ remedy: String) -> Self {
        Self(check: check, passed: false, detail: problem, remedy: remedy)
    }

    /// A check that could not run because one it needs failed: it did not pass either.
    static func notChecked(_ check: String, needs: String) -> Self {
        fail(check, "not checked: needs \(needs), which failed above", "fix \(needs) first and run doctor again")
    }

    /// `ok   <check>: <detail>` or `FAIL <check>: <problem> — <remedy>`, on one line whatever the
    /// texts hold (an error from the network or SQLite included).
    var line: String {
        let limit = 1000
        if passed { return "ok   \(check): \(LogText.safe(detail, limit: limit))" }
        return "FAIL \(check): \(LogText.safe(detail, limit: limit)) — \(LogText.safe(remedy, limit: limit))"
    }
}
