import Foundation
import Testing

@testable import HHAuth

/// `hh-auth doctor`'s question to HH: through the transport, a GET that changes nothing.
@Suite("HHReachability and HH's User-Agent rule")
struct HHReachabilityTests {
    @Test func asksEachHostWithAGetThatCarriesNoGrantAndNoToken() throws {
        let hh = FakeHH()
        hh.on(Fixtures.tokenURL) { _ in
            HHHTTPResponse(status: 405, body: [], headers: ["date": "Tue, 01 Dec 2026 16:58:07 GMT"])
        }
        hh.on(Fixtures.apiURL + "/me", status: 403, json: #"{"oauth_error":"bad_authorization"}"#)
        let reachability = HHReachability(settings: Fixtures.headHunter(), transport: hh)

        let token = try reachability.probe(.token)
        #expect(token.status == 405)
        #expect(token.url == Fixtures.tokenURL)
        #expect(token.date == Date(timeIntervalSince1970: 1_796_144_287))
        #expect(token.outcome == .otherStatus && !token.refusesUserAgent)
        let api = try reachability.probe(.api)
        #expect(api.status == 403)
        #expect(api.date == nil)
        #expect(api.outcome == .forbidden && !api.refusesUserAgent)

        #expect(hh.requests.map(\.url) == [Fixtures.tokenURL, Fixtures.apiURL + "/me"])
        for request in hh.requests {
            #expect(request.method == "GET")
            #expect(request.body.isEmpty)
            #expect(request.headers["Authorization"] == nil)
            #expect(request.headers["User-Agent"] == Fixtures.userAgent)
            #expect(request.headers["HH-User-Agent"] == Fixtures.userAgent)
        }
    }

    @Test func answersAreClassedAsTheMetricsClassThemAndARefusedUserAgentIsSeen() throws {
        let hh = FakeHH()
        let reachability = HHReachability(settings: Fixtures.headHunter(), transport: hh)
        let answers: [(Int, String, HHCallOutcome, Bool)] = [
            (502, "<html>Bad Gateway</html>", .serverError, false),
            (429, #"{"errors":[{"type":"too_many_requests"}]}"#, .rateLimited, false),
            (
                400, #"{"errors":[{"type":"bad_argument"},{"type":"bad_user_agent","value":"blocked"}]}"#, .badRequest,
                true
            ),
            (400, #"{"errors":[{"type":"bad_argument"}]}"#, .badRequest, false),
            (400, #"{"error":"invalid_request"}"#, .badRequest, false),
            (500, #"{"errors":[{"type":"bad_user_agent"}]}"#, .serverError, false),
        ]
        for (status, body, outcome, refusesUserAgent) in answers {
            hh.on(Fixtures.apiURL + "/me", status: status, json: body)
            let answer = try reachability.probe(.api)
            #expect(answer.outcome == outcome, "\(status) \(body)")
            #expect(answer.refusesUserAgent == refusesUserAgent, "\(status) \(body)")
        }
        #expect(HHReachability.Host.token.expects(405) && HHReachability.Host.token.expects(400))
        #expect(!HHReachability.Host.token.expects(429) && !HHReachability.Host.token.expects(200))
        #expect(HHReachability.Host.api.expects(403) && HHReachability.Host.api.expects(401))
        #expect(!HHReachability.Host.api.expects(400) && !HHReachability.Host.api.expects(404))
    }

    @Test func noAnswerIsTheTransportsError() throws {
        struct Refusing: HHTransport {
            func send(_ request: HHHTTPRequest) throws -> HHHTTPResponse { throw HHTransportError("refused") }
        }
        let reachability = HHReachability(settings: Fixtures.headHunter(), transport: Refusing())
        #expect(throws: HHTransportError.self) { try reachability.probe(.api) }
    }

    @Test func httpDatesInTheirCurrentFormOnly() {
        #expect(HHReachability.httpDate("Sun, 06 Nov 1994 08:49:37 GMT") == Date(timeIntervalSince1970: 784_111_777))
        #expect(HHReachability.httpDate("Sunday, 06-Nov-94 08:49:37 GMT") == nil)
        #expect(HHReachability.httpDate("yesterday") == nil)
    }

    @Test(arguments: [
        ("hh-auth/1.0 (admin@example.com)", "admin@example.com"),
        ("MyApp/2.1 (ops@my-company.ru; +https://my-company.ru)", "ops@my-company.ru"),
        ("MyApp/2.1 (https://my-company.ru/contact)", "https://my-company.ru/contact"),
        ("MyApp/2.1 (Linux) (team@my-company.ru)", "team@my-company.ru"),
    ])
    func aContactInParentheses(userAgent: String, contact: String) {
        #expect(HHUserAgent.contact(in: userAgent) == contact)
    }

    @Test(arguments: [
        "MyApp/1.0", "MyApp/1.0 (Linux)", "MyApp/1.0 (@example.com)", "MyApp/1.0 (me@localhost)",
        "admin@example.com", "MyApp/1.0 (https://)",
    ])
    func noContact(userAgent: String) {
        #expect(HHUserAgent.contact(in: userAgent) == nil)
    }
}
