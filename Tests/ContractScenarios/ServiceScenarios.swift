import Foundation
import Testing

extension ContractScenario {
    /// `/health` and the JSON errors every route shares.
    static let serviceScenarios: [ContractScenario] = [
        ContractScenario("health answers JSON with the version and the service's time") { client in
            let response = try client.get("/health")
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "application/json; charset=utf-8")
            #expect(response.json["status"] as? String == "healthy")
            #expect((response.json["version"] as? String)?.split(separator: ".").count == 3)
            let timestamp = try #require(response.json["timestamp"] as? String)
            #expect(timestamp.count == 20)
            client.expectTime(timestamp)
            let requestID = try #require(response.header("X-Request-Id"))
            #expect(requestID.count == 32 && requestID.allSatisfy { "0123456789abcdef".contains($0) })
        },
        ContractScenario("an unknown path is a JSON 404, a wrong method a JSON 405 with Allow") { client in
            let missing = try client.get("/no/such/path")
            #expect(missing.status == 404)
            #expect(missing.detail == "Not found")
            #expect(missing.header("Content-Type")?.hasPrefix("application/json") == true)
            let wrongMethod = try client.send("DELETE", "/health", headers: [:], body: nil)
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.header("Allow") == "GET")
            #expect(wrongMethod.detail == "Method not allowed")
        },
    ]
}
