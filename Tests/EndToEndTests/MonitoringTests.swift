import Foundation
import Testing

/// Issue 12: monitoring/alerts.yml loaded by a real Prometheus that scrapes the stack's `/metrics`
/// through nginx (loopback, as the production site allows), asserted through Prometheus's HTTP API:
/// the series arrive, nothing fires while all is well, and alerts fire when the stand-in fails
/// HH's token endpoint. promtool's unit tests of each rule are scripts/check-monitoring.sh's; here
/// also every metric monitoring/metric-names.txt lists is checked against what the service exports.
///
/// Prometheus runs the rules with every `for:` cut to 0s (``PrometheusServer/rulesFiringAtOnce(_:)``):
/// production waits minutes before an alert fires, this test polls seconds. Scrapes and rule
/// evaluations are every second; every wait is a poll of the API with a deadline.
@Suite("Monitoring: a real Prometheus scraping the stack through nginx", .serialized)
struct MonitoringTests {
    static let job = #"job="hh-auth""#

    @Test func seriesArriveNothingFiresWhileWellAndAlertsFireWhenHHFails() throws {
        // The janitor counts hh_auth_sessions_active every second here (at most every 15 s by default).
        let stack = try TestStack(.init(environment: ["HH_TIMEOUT_SECONDS": "2", "JANITOR_INTERVAL_SECONDS": "1"]))
        defer { stack.stopAll() }
        let prometheus = try PrometheusServer(scraping: stack)
        defer { prometheus.stop() }

        try prometheus.waitFor(#"up{\#(Self.job)}"#, atLeast: 1)
        let target = try prometheus.query(#"up{\#(Self.job)}"#)
        #expect(target.map { $0.labels["instance"] } == [prometheus.target])

        // Five sign-ins, each /auth/login, /auth/callback and /auth/exchange through nginx, and a
        // token_code and a me call to HH. The first makes the request series (a counter's first
        // value is not in rate()); once Prometheus holds them, the other four show in rate() and
        // increase(), as the rules read them. The hh_auth_* series exist at 0 from the start.
        let login = BrowserLogin(stack: stack)
        _ = try login.session()
        try prometheus.waitFor(
            #"sum(requests_total{\#(Self.job), endpoint="/auth/exchange", status="200"})"#, atLeast: 1)
        for _ in 0..<4 { _ = try login.session() }
        try Self.expectRequestSeries(prometheus, signIns: 5)
        try Self.expectDomainSeries(prometheus, signIns: 5)
        try Self.expectListedMetricsAreTheServices(prometheus)

        // All well: evaluated on these series (twice, so not on an older scrape), nothing fires.
        try prometheus.waitForRuleEvaluations(2)
        let quiet = try prometheus.firingAlerts()
        #expect(quiet.isEmpty, "firing while all is well: \(quiet.map(\.name))")

        // HH's token endpoint answers 500: every callback is a 502 and a server_error call. The
        // first 502 makes its series; once Prometheus holds it, the next ones show in rate().
        try stack.hh.fail("token", mode: "500")
        #expect(try login.run(accept: "application/json").callback.status == 502)
        try prometheus.waitFor(
            #"sum(requests_total{\#(Self.job), endpoint="/auth/callback", status="502"})"#, atLeast: 1)
        for _ in 0..<11 {
            #expect(try login.run(accept: "application/json").callback.status == 502)
        }
        try prometheus.waitFor(
            #"sum(hh_auth_hh_requests_total{\#(Self.job), call="token_code", outcome="server_error"})"#, atLeast: 12)
        try prometheus.waitFor(#"sum(hh_auth_logins_total{\#(Self.job), result="hh_error"})"#, atLeast: 12)

        let hhErrors = try prometheus.waitForFiring("HHAuthHHErrorRatio")
        #expect(hhErrors.labels["severity"] == "critical")
        #expect(hhErrors.labels["job"] == "hh-auth")
        #expect(hhErrors.labels["instance"] == prometheus.target)
        #expect(hhErrors.annotations["summary"]?.contains("of HH calls from \(prometheus.target) fail") == true)
        #expect(hhErrors.annotations["description"]?.isEmpty == false)
        let serverErrors = try prometheus.waitForFiring("HHAuthHTTP5xxRatio")
        #expect(serverErrors.labels["severity"] == "critical")
        #expect(
            serverErrors.annotations["summary"]?.contains("of hh-auth's answers on \(prometheus.target) are 5xx")
                == true)
        let signInFailures = try prometheus.waitForFiring("HHAuthLoginFailureSpike")
        #expect(signInFailures.labels["severity"] == "warning")
        // Nothing else: the other alerts' conditions did not happen.
        let firing = Set(try prometheus.firingAlerts().map(\.name))
        #expect(firing == ["HHAuthHHErrorRatio", "HHAuthHTTP5xxRatio", "HHAuthLoginFailureSpike"])
    }

    /// requests_total and request_duration_seconds after `signIns` sign-ins.
    static func expectRequestSeries(_ prometheus: PrometheusServer, signIns: Double) throws {
        try prometheus.waitFor(
            #"sum(requests_total{\#(job), endpoint="/auth/exchange", status="200"})"#, atLeast: signIns)
        try prometheus.waitFor(
            #"sum(requests_total{\#(job), endpoint="/auth/callback", status="200"})"#, atLeast: signIns)
        try prometheus.waitFor(
            #"sum(request_duration_seconds_count{\#(job), endpoint="/auth/login"})"#, atLeast: signIns)
        // Enough traffic for the 5xx ratio's minimum (10 requests in its window): its quiet means something.
        try prometheus.waitFor(
            #"sum(increase(requests_total{\#(job), endpoint!~"/metrics|/health"}[5m]))"#, atLeast: 10)
        // The scrapes themselves are counted.
        try prometheus.waitFor(#"sum(requests_total{\#(job), endpoint="/metrics", status="200"})"#, atLeast: 1)
        #expect(try prometheus.scalar(#"sum(sqlite_heap_bytes{\#(job)})"#) ?? 0 > 0)
    }

    /// Issue 12's domain and process series after `signIns` sign-ins.
    static func expectDomainSeries(_ prometheus: PrometheusServer, signIns: Double) throws {
        try prometheus.waitFor(#"sum(hh_auth_logins_total{\#(job), result="success"})"#, atLeast: signIns)
        try prometheus.waitFor(
            #"sum(hh_auth_hh_requests_total{\#(job), call="token_code", outcome="ok"})"#, atLeast: signIns)
        try prometheus.waitFor(#"sum(hh_auth_hh_requests_total{\#(job), call="me", outcome="ok"})"#, atLeast: signIns)
        try prometheus.waitFor(
            #"sum(hh_auth_hh_request_duration_seconds_count{\#(job), call="token_code"})"#, atLeast: signIns)
        try prometheus.waitFor(#"sum(hh_auth_sessions_active{\#(job)})"#, atLeast: signIns)
        let build = try prometheus.query(#"hh_auth_build_info{\#(job)}"#)
        #expect(build.map { $0.value } == [1])
        #expect(build.first?.labels["version"]?.isEmpty == false)
        #expect(try prometheus.scalar(#"sum(process_resident_memory_bytes{\#(job)})"#) ?? 0 > 1_000_000)
        #expect(try prometheus.scalar(#"sum(process_open_fds{\#(job)})"#) ?? 0 >= 3)
        #expect(try prometheus.scalar(#"sum(process_cpu_seconds_total{\#(job)})"#) ?? 0 > 0)
        let uptime = try #require(try prometheus.scalar(#"time() - max(process_start_time_seconds{\#(job)})"#))
        #expect(uptime >= 0 && uptime < 600, "uptime \(uptime) s")
    }

    /// What monitoring/metric-names.txt lists (the names the rules and the dashboard may use:
    /// scripts/check-monitoring.sh) is what the running service exports, through nginx into
    /// Prometheus: every listed metric with exactly its listed labels, and no metric unlisted.
    /// Renaming a metric or a label on either side fails here.
    static func expectListedMetricsAreTheServices(_ prometheus: PrometheusServer) throws {
        let listed = try MetricNames.load()
        let series = try prometheus.series(matching: #"{\#(job)}"#)
        var labelsSeen: [String: Set<String>] = [:]
        for labels in series {
            let name = labels["__name__"] ?? ""
            // Prometheus's own: about each scrape (scrape_duration_seconds, …), and the alerts'
            // state (HHAuthMetricsAbsent fires before the first scrape, its `for:` being 0s here).
            if name.hasPrefix("scrape_") || name == "ALERTS" || name == "ALERTS_FOR_STATE" { continue }
            guard let metric = listed.metric(ofSeries: name) else {
                Issue.record("the service exports \(name), which monitoring/metric-names.txt does not list")
                continue
            }
            var own = Set(labels.keys).subtracting(["__name__", "job", "instance"])
            if name.hasSuffix("_bucket") { own.remove("le") }
            labelsSeen[metric.name, default: []].formUnion(own)
        }
        let stored = Set(series.compactMap { $0["__name__"] })
        for metric in listed.metrics {
            for name in metric.seriesNames where !stored.contains(name) {
                Issue.record("\(name) (monitoring/metric-names.txt) is not among the service's series in Prometheus")
            }
            if stored.contains(metric.seriesNames[0]) {
                #expect(labelsSeen[metric.name, default: []] == metric.labels, "labels of \(metric.name)")
            }
        }
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
