import ContractScenarios
import Foundation
import Testing

/// The shared contract scenarios through real nginx, the built binaries and the HH stand-in: each
/// on a fresh `TestStack` that allow-lists the contract's client redirect.
@Suite("Contract scenarios through nginx")
struct ContractThroughNginxTests {
    @Test(arguments: ContractScenario.all)
    func scenario(_ scenario: ContractScenario) throws {
        let stack = try TestStack(.init(environment: ["CLIENT_REDIRECT_URIS": Contract.clientRedirect]))
        try scenario.run(against: NginxClient(stack: stack))
    }
}

/// `ContractClient` over a `TestStack`: raw HTTP/1.1 to nginx; HH's authorize page is the stand-in's.
struct NginxClient: ContractClient {
    let stack: TestStack
    /// The scenario's browser.
    let cookies = CookieJar()

    let user = HHAccount(
        hhUserID: TestStack.defaultUserID, fullName: "Иван Сергеевич Петров", email: "ivan.petrov@example.com")
    let outsider = HHAccount(hhUserID: "200000002", fullName: "", email: nil)
    let admin = AdminAccount(username: "admin", password: "admin-password")
    let clientAddress = "127.0.0.1"
    /// The service's timestamps have whole seconds, and the answer took its time to arrive.
    let clockTolerance: TimeInterval = 5

    func now() -> Date { Date() }

    func send(_ method: String, _ target: String, headers: [String: String], body: [UInt8]?) throws
        -> ContractResponse
    {
        let browser = RawHTTPClient(port: stack.httpPort, cookies: cookies)
        let response = try browser.send(method: method, target: target, headers: headers, body: body)
        return ContractResponse(
            status: response.status, headers: response.headers, body: response.body, setCookies: response.setCookies)
    }

    func authorize(_ location: String, as hhUserID: String, deny: Bool) throws -> String {
        let authorize = try BrowserLogin.target(of: location, expectingPort: stack.standInPort)
        let approval = try RawHTTPClient(port: stack.standInPort).get(
            authorize + (deny ? "&deny=1" : "&as_user=\(hhUserID)"))
        try #require(approval.status == 302, "authorize answered \(approval.status) \(approval.text)")
        return try BrowserLogin.target(of: try #require(approval.headers["location"]), expectingPort: stack.httpPort)
    }
}
