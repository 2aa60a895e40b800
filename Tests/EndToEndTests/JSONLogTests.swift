import Foundation
import Testing

/// Issue 12: `LOG_FORMAT=json` for log shippers: every line the service writes in a run, from
/// start to stop, failures included, is one JSON object with the text line's fields.
@Suite("JSON log through the stack")
struct JSONLogTests {
    @Test func everyLineOfARunIsAJSONObjectWithTheTextLinesFields() throws {
        let stack = try TestStack(.init(environment: ["LOG_FORMAT": "json"]))
        let session = try BrowserLogin(stack: stack).session()
        #expect(try stack.http.get("/health").status == 200)
        #expect(try stack.http.post("/auth/token", json: ["session_id": session]).status == 200)
        #expect(try stack.http.post("/auth/token", json: ["session_id": "not-a-session"]).status == 401)
        #expect(try stack.http.get("/auth/nothing-here").status == 404)
        #expect(try AdminClient(stack: stack, password: "wrong").get("/admin/users").status == 401)
        // HH fails: the refresh answers 502 and the service logs a warning with the cause.
        try stack.hh.fail("token", mode: "500")
        #expect(try stack.http.post("/auth/refresh", json: ["session_id": session]).status == 502)
        stack.stopAll()

        let log = try #require(stack.service?.log)
        #expect(log.hasSuffix("\n"))
        let lines = log.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        var objects: [[String: Any]] = []
        for line in lines {
            let parsed = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            guard let object = parsed else {
                Issue.record("not a JSON object: \(line)")
                continue
            }
            for key in ["timestamp", "level", "label", "message"] {
                #expect(object[key] is String, "\(key) missing in \(line)")
            }
            #expect((object["timestamp"] as? String).flatMap(ISO8601DateFormatter().date(from:)) != nil, "\(line)")
            #expect(object["label"] as? String == "hh-auth")
            objects.append(object)
        }

        let requests = objects.filter { $0["message"] as? String == "request" }
        #expect(requests.count >= 8, "\(log)")
        for request in requests {
            for key in ["method", "route", "status", "duration_ms", "request_id", "client"] {
                #expect(request[key] is String, "\(key) missing in \(request)")
            }
            #expect(request["level"] as? String == "info")
        }
        let statuses = Set(requests.compactMap { $0["status"] as? String })
        #expect(statuses.isSuperset(of: ["200", "302", "401", "404", "502"]), "\(statuses)")
        let failed = try #require(objects.first { $0["message"] as? String == "request failed" }, "\(log)")
        #expect(failed["level"] as? String == "warning")
        #expect(failed["route"] as? String == "/auth/refresh")
        #expect(failed["error"] is String)
        // Start and stop are lines like any other.
        #expect(objects.first { $0["message"] as? String == "listening" }?["version"] is String)
        #expect(objects.last?["message"] as? String == "stopped", "\(log.suffix(500))")
    }

    @Test func anUnknownLogFormatStopsStartUpNamingTheSetting() throws {
        let stack = try TestStack()
        stack.service?.stop()
        var environment = stack.serviceEnvironment
        environment["LOG_FORMAT"] = "yaml"
        let refused = try OperatorCLI.run(
            executable: TestStack.binaries + "/hh-auth", ["serve"], environment: environment, input: nil,
            directory: stack.directory, timeoutSeconds: 30)
        #expect(refused.status == 2, "\(refused)")
        #expect(refused.stderr == "hh-auth: LOG_FORMAT: must be text or json\n")
    }
}
