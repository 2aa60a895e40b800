import ContractScenarios
import FastCGI
import Foundation
import HTTPCore
import Testing

@testable import HHAuth

/// The shared contract scenarios against a whole gateway in process: each on a fresh
/// `GatewayHarness` (temp database, manual clock standing still, HH-like fake), on each engine.
@Suite("Contract scenarios in process")
struct ContractInProcessTests {
    @Test(arguments: ContractScenario.all, EngineKind.allCases)
    func scenario(_ scenario: ContractScenario, _ engine: EngineKind) throws {
        try scenario.run(against: InProcessClient(harness: try GatewayHarness(engine: engine)))
    }
}

/// `ContractClient` over `GatewayHarness`: requests go through FastCGIHTTP's adapter with the CGI
/// parameters nginx would pass; HH's authorize page is the fake's `code-<hh id>` convention.
struct InProcessClient: ContractClient {
    let harness: GatewayHarness
    let cookies = CookieJar()

    let user = HHAccount(hhUserID: "1001", fullName: "Иван Сергеевич Петров", email: "ivan@example.com")
    let outsider = HHAccount(hhUserID: "2002", fullName: "Пётр Чужой", email: "petr@example.com")
    let admin = AdminAccount(username: "admin", password: "admin")
    let clientAddress = "203.0.113.7"
    let clockTolerance: TimeInterval = 0

    func now() -> Date { harness.clock.now() }

    func send(_ method: String, _ target: String, headers: [String: String], body: [UInt8]?) throws
        -> ContractResponse
    {
        var headers = headers
        let contentType = headers.removeValue(forKey: "Content-Type")
        if headers["User-Agent"] == nil { headers["User-Agent"] = "UnitTest/1.0" }
        if headers["Cookie"] == nil, let cookie = cookies.header() { headers["Cookie"] = cookie }
        var request = fastCGIRequest(method, target, headers: headers, contentType: contentType)
        if let body {
            request.body = body
            request.params["CONTENT_LENGTH"] = String(body.count)
        }
        let response = harness.gateway.application.respond(to: request)
        let setCookies = response.headers.filter { $0.name.lowercased() == "set-cookie" }.map(\.value)
        cookies.receive(setCookies)
        return ContractResponse(
            status: response.status,
            headers: Dictionary(response.headers.map { ($0.name, $0.value) }) { _, last in last },
            body: response.body, setCookies: setCookies)
    }

    func authorize(_ location: String, as hhUserID: String, deny: Bool) throws -> String {
        #expect(location.hasPrefix(Fixtures.authorizeURL + "?"))
        let state = QueryParameters.encode(try #require(GatewayHarness.query(of: location)["state"]))
        return deny
            ? "/auth/callback?error=access_denied&state=\(state)"
            : "/auth/callback?code=code-\(hhUserID)&state=\(state)"
    }
}
