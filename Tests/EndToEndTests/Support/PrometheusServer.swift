import Foundation

/// A real Prometheus (Debian's `prometheus`, as `make deps-test` installs it) on a free loopback
/// port, its data in the stack's temporary directory, scraping the stack's `/metrics` through
/// nginx every second as job `hh-auth` and evaluating monitoring/alerts.yml every second.
///
/// The rules are a copy in which every `for:` is cut to `0s` (``rulesFiringAtOnce(_:)``): an alert
/// fires at the first evaluation its expression holds, where production waits minutes. The
/// expressions, labels and annotations are the repository's, untouched.
final class PrometheusServer: @unchecked Sendable {
    static let executable = "/usr/bin/prometheus"
    static let rulesPath = TestStack.repository + "/monitoring/alerts.yml"
    static let job = "hh-auth"

    let port: UInt16
    let directory: String
    /// The scrape target as Prometheus labels it (`instance`): nginx's HTTP port.
    let target: String
    private let process: ManagedProcess

    var client: RawHTTPClient { RawHTTPClient(port: port, timeoutSeconds: 10) }
    var log: String { process.log }

    init(scraping stack: TestStack) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
            throw HarnessError("\(Self.executable) missing: `make deps-test` installs Debian's prometheus")
        }
        directory = stack.directory + "/prometheus"
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        port = try FreePorts.take(1)[0]
        target = "127.0.0.1:\(stack.httpPort)"
        let rules = try Self.rulesFiringAtOnce(String(contentsOfFile: Self.rulesPath, encoding: .utf8))
        try rules.write(toFile: directory + "/alerts.yml", atomically: true, encoding: .utf8)
        let configuration = """
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            rule_files:
              - \(directory)/alerts.yml
            scrape_configs:
              - job_name: \(Self.job)
                static_configs:
                  - targets: ["\(target)"]
            """
        try configuration.write(toFile: directory + "/prometheus.yml", atomically: true, encoding: .utf8)
        process = try ManagedProcess(
            name: "prometheus", executable: Self.executable,
            arguments: [
                "--config.file=\(directory)/prometheus.yml", "--storage.tsdb.path=\(directory)/data",
                "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn",
            ],
            environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"],
            logPath: directory + "/prometheus.log")
        do {
            try waitUntilReady()
        } catch {
            process.stop()
            throw error
        }
    }

    deinit { stop() }

    func stop() { process.stop() }

    /// monitoring/alerts.yml with every `for: <duration>` line made `for: 0s`; refuses a file whose
    /// alerts do not each have exactly one such line, so the rewrite cannot silently miss one.
    static func rulesFiringAtOnce(_ rules: String) throws -> String {
        var alerts = 0
        var rewritten = 0
        let lines = rules.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let trimmed = line.drop { $0 == " " }
            if trimmed.hasPrefix("- alert:") { alerts += 1 }
            guard trimmed.hasPrefix("for:") else { return String(line) }
            rewritten += 1
            return String(repeating: " ", count: line.count - trimmed.count) + "for: 0s"
        }
        guard alerts > 0, rewritten == alerts else {
            throw HarnessError("alerts.yml: \(alerts) alerts but \(rewritten) `for:` lines to rewrite")
        }
        return lines.joined(separator: "\n")
    }

    // MARK: - The HTTP API

    /// An instant query's result: one entry per series, its labels and value.
    func query(_ promQL: String) throws -> [(labels: [String: String], value: Double)] {
        let data = try apiData("/api/v1/query?query=" + Self.encoded(promQL))
        guard let result = data["result"] as? [[String: Any]] else { throw HarnessError("query: no result: \(data)") }
        return result.compactMap { series in
            guard let labels = series["metric"] as? [String: String], let pair = series["value"] as? [Any],
                pair.count == 2, let text = pair[1] as? String, let value = Double(text)
            else { return nil }
            return (labels, value)
        }
    }

    /// A query expected to give one number (a `sum(…)`), or nil while it gives nothing.
    func scalar(_ promQL: String) throws -> Double? {
        let result = try query(promQL)
        guard result.count <= 1 else { throw HarnessError("\(promQL): \(result.count) series, expected one") }
        return result.first?.value
    }

    /// `/api/v1/series`: the label sets (`__name__` included) of every series `selector` matches.
    func series(matching selector: String) throws -> [[String: String]] {
        let response = try client.get("/api/v1/series?match%5B%5D=" + Self.encoded(selector))
        guard response.status == 200, let data = try response.json()["data"] as? [[String: String]] else {
            throw HarnessError("series \(selector): \(response.status) \(response.text.prefix(500))")
        }
        return data
    }

    struct Alert {
        var name: String
        var state: String
        var labels: [String: String]
        var annotations: [String: String]
    }

    /// `/api/v1/alerts`: the alerts pending or firing now.
    func alerts() throws -> [Alert] {
        let data = try apiData("/api/v1/alerts")
        guard let alerts = data["alerts"] as? [[String: Any]] else { throw HarnessError("alerts: \(data)") }
        return alerts.map { alert in
            let labels = alert["labels"] as? [String: String] ?? [:]
            return Alert(
                name: labels["alertname"] ?? "", state: alert["state"] as? String ?? "", labels: labels,
                annotations: alert["annotations"] as? [String: String] ?? [:])
        }
    }

    func firingAlerts() throws -> [Alert] { try alerts().filter { $0.state == "firing" } }

    /// When the rule group was last evaluated, as Prometheus writes it (compared, not parsed).
    func lastRuleEvaluation() throws -> String {
        let data = try apiData("/api/v1/rules")
        guard let groups = data["groups"] as? [[String: Any]], groups.count == 1,
            let last = groups[0]["lastEvaluation"] as? String
        else { throw HarnessError("rules: expected one group: \(data)") }
        return last
    }

    // MARK: - Waiting on Prometheus, with a deadline

    /// Polls `condition` until it gives a value; past `seconds` fails with `what` and the last state.
    /// A minute by default: alone, the whole test takes about 12 s; beside the rest of `make test`
    /// on two cores, a passing run took 115 s.
    func poll<T>(_ what: String, seconds: Double = 60, _ condition: () throws -> T?) throws -> T {
        let deadline = Date().addingTimeInterval(seconds)
        var lastError = ""
        repeat {
            do {
                if let value = try condition() { return value }
            } catch {
                lastError = " (last error: \(error))"
            }
            usleep(100_000)
        } while Date() < deadline && process.isRunning
        throw HarnessError("Prometheus: not within \(seconds) s: \(what)\(lastError); its log:\n\(log.suffix(2000))")
    }

    /// Waits until the query's one value is at least `minimum`; returns it.
    @discardableResult
    func waitFor(_ promQL: String, atLeast minimum: Double, seconds: Double = 60) throws
        -> Double
    {
        try poll("\(promQL) >= \(minimum)", seconds: seconds) {
            try scalar(promQL).flatMap { $0 >= minimum ? $0 : nil }
        }
    }

    /// Waits until the rules have been evaluated `count` more times: on the data scraped so far.
    func waitForRuleEvaluations(_ count: Int) throws {
        var last = try lastRuleEvaluation()
        for _ in 0..<count {
            last = try poll("a rule evaluation after \(last)") {
                let now = try lastRuleEvaluation()
                return now != last ? now : nil
            }
        }
    }

    /// Waits until the alert `name` is firing; returns it.
    @discardableResult
    func waitForFiring(_ name: String, seconds: Double = 60) throws -> Alert {
        try poll("alert \(name) firing", seconds: seconds) {
            try firingAlerts().first { $0.name == name }
        }
    }

    private func waitUntilReady() throws {
        _ = try poll("ready on port \(port)", seconds: 30) { () -> Bool? in
            let ready = try client.get("/-/ready")
            return ready.status == 200 ? true : nil
        }
    }

    private func apiData(_ target: String) throws -> [String: Any] {
        let response = try client.get(target)
        let body = try response.json()
        guard response.status == 200, body["status"] as? String == "success",
            let data = body["data"] as? [String: Any]
        else { throw HarnessError("\(target): \(response.status) \(response.text.prefix(500))") }
        return data
    }

    private static func encoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
