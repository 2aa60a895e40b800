import Foundation
import Testing

/// Issue 12: monitoring/alerts.yml loaded by a real Prometheus that scrapes the stack's `/metrics`
/// through nginx (loopback, as the production site allows), asserted through Prometheus's HTTP API:
/// the series arrive, nothing fires while all is well, and alerts fire when the stand-in fails
/// HH's token endpoint. promtool's unit tests of each rule are scripts/check-monitoring.sh's.
///
/// Prometheus runs the rules with every `for:` cut to 0s (``PrometheusServer/rulesFiringAtOnce(_:)``):
/// production waits minutes before an alert fires, this test polls seconds. Scrapes and rule
/// evaluations are every second; every wait is a poll of the API with a deadline.
@Suite("Monitoring: a real Prometheus scraping the stack through nginx", .serialized)
struct MonitoringTests {
    static let job = #"job="hh-auth""#

    @Test func seriesArriveNothingFiresWhileWellAndAlertsFireWhenHHFails() throws {
        let stack = try TestStack(.init(environment: ["HH_TIMEOUT_SECONDS": "2"]))
        defer { stack.stopAll() }
        let prometheus = try PrometheusServer(scraping: stack)
        defer { prometheus.stop() }

        try prometheus.waitFor(#"up{\#(Self.job)}"#, atLeast: 1)
        let target = try prometheus.query(#"up{\#(Self.job)}"#)
        #expect(target.map { $0.labels["instance"] } == [prometheus.target])

        // Five sign-ins, each /auth/login, /auth/callback and /auth/exchange through nginx. The
        // first makes the series (a counter's first value is not in rate()); once Prometheus holds
        // them, the other four show in rate() and increase(), as the rules read them.
        let login = BrowserLogin(stack: stack)
        _ = try login.session()
        try prometheus.waitFor(
            #"sum(requests_total{\#(Self.job), endpoint="/auth/exchange", status="200"})"#, atLeast: 1)
        for _ in 0..<4 { _ = try login.session() }
        try prometheus.waitFor(
            #"sum(requests_total{\#(Self.job), endpoint="/auth/exchange", status="200"})"#, atLeast: 5)
        try prometheus.waitFor(
            #"sum(requests_total{\#(Self.job), endpoint="/auth/callback", status="200"})"#, atLeast: 5)
        try prometheus.waitFor(
            #"sum(request_duration_seconds_count{\#(Self.job), endpoint="/auth/login"})"#, atLeast: 5)
        // Enough traffic for the 5xx ratio's minimum (10 requests in its window): its quiet below means something.
        try prometheus.waitFor(
            #"sum(increase(requests_total{\#(Self.job), endpoint!~"/metrics|/health"}[5m]))"#, atLeast: 10)
        // The scrapes themselves are counted, and the handle on SQLite's memory is there.
        try prometheus.waitFor(#"sum(requests_total{\#(Self.job), endpoint="/metrics", status="200"})"#, atLeast: 1)
        #expect(try prometheus.scalar(#"sum(sqlite_heap_bytes{\#(Self.job)})"#) ?? 0 > 0)

        // All well: evaluated on these series (twice, so not on an older scrape), nothing fires.
        try prometheus.waitForRuleEvaluations(2)
        let quiet = try prometheus.firingAlerts()
        #expect(quiet.isEmpty, "firing while all is well: \(quiet.map(\.name))")

        // HH's token endpoint answers 500: every callback is a 502. The first 502 makes its series;
        // once Prometheus holds it, the next ones show in rate() (a counter's first value does not).
        try stack.hh.fail("token", mode: "500")
        #expect(try login.run(accept: "application/json").callback.status == 502)
        try prometheus.waitFor(
            #"sum(requests_total{\#(Self.job), endpoint="/auth/callback", status="502"})"#, atLeast: 1)
        for _ in 0..<11 {
            #expect(try login.run(accept: "application/json").callback.status == 502)
        }

        let serverErrors = try prometheus.waitForFiring("HHAuthHTTP5xxRatio")
        #expect(serverErrors.labels["severity"] == "critical")
        #expect(serverErrors.labels["job"] == "hh-auth")
        #expect(serverErrors.labels["instance"] == prometheus.target)
        #expect(
            serverErrors.annotations["summary"]?.contains("of hh-auth's answers on \(prometheus.target) are 5xx")
                == true)
        #expect(serverErrors.annotations["description"]?.isEmpty == false)
    }

    /// The copy Prometheus loads above: every `for:` is 0s, the rest is monitoring/alerts.yml.
    @Test func prometheusGetsTheRulesWithEveryForCutToZero() throws {
        let original = try String(contentsOfFile: PrometheusServer.rulesPath, encoding: .utf8)
        let copy = try PrometheusServer.rulesFiringAtOnce(original)
        let forLines = { (text: String) in
            text.split(separator: "\n").filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("for:") }
        }
        let alerts = original.components(separatedBy: "- alert:").count - 1
        #expect(alerts >= 7)
        #expect(forLines(original).count == alerts)
        #expect(forLines(copy).count == alerts)
        #expect(forLines(copy).allSatisfy { $0.trimmingCharacters(in: .whitespaces) == "for: 0s" })
        #expect(forLines(original).contains { $0.trimmingCharacters(in: .whitespaces) != "for: 0m" })
        let withoutFor = { (text: String) in
            text.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("for:") }
        }
        #expect(withoutFor(copy) == withoutFor(original))
        // An alert without its `for:` is refused, so the rewrite cannot miss one.
        #expect(throws: HarnessError.self) {
            try PrometheusServer.rulesFiringAtOnce(original + "\n      - alert: Extra\n        expr: vector(1)\n")
        }
    }
}
