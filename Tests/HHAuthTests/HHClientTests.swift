import Foundation
import HTTPCore
import Testing

@testable import HHAuth

@Suite("HHClient")
struct HHClientTests {
    let hh = FakeHH()
    let meURL = Fixtures.apiURL + "/me"
    static let profileJSON = """
        {"id":"174714255","first_name":"Иван","last_name":"Петров","middle_name":null,"email":"ivan@example.com",
         "phone":"79000000000","is_applicant":true,"is_employer":false}
        """

    func client(maxConcurrentCalls: Int = 16) -> HHClient {
        HHClient(settings: Fixtures.headHunter(maxConcurrentCalls: maxConcurrentCalls), transport: hh)
    }

    private func error(_ body: () throws -> Void) -> HHClientError? {
        do {
            try body()
            return nil
        } catch let error as HHClientError {
            return error
        } catch {
            Issue.record("not an HHClientError: \(error)")
            return nil
        }
    }

    @Test func codeExchangeSendsTheContractFormAndUserAgent() throws {
        hh.on(Fixtures.tokenURL, status: 200, json: Fixtures.tokenJSON(access: "a-1", refresh: "r-1", expiresIn: 1000))
        let pair = try client().exchange(code: "code/with+special&chars")
        #expect(pair == HHTokenPair(accessToken: "a-1", refreshToken: "r-1", expiresIn: 1000))
        let sent = try #require(hh.requests.first)
        #expect(sent.method == "POST")
        #expect(sent.url == Fixtures.tokenURL)
        #expect(sent.headers["Content-Type"] == "application/x-www-form-urlencoded")
        #expect(sent.headers["User-Agent"] == Fixtures.userAgent)
        #expect(sent.headers["HH-User-Agent"] == Fixtures.userAgent)
        let form = FakeHH.form(sent)
        #expect(form["grant_type"] == "authorization_code")
        #expect(form["client_id"] == "client-id")
        #expect(form["client_secret"] == "client-secret")
        #expect(form["code"] == "code/with+special&chars")
        #expect(form["redirect_uri"] == Fixtures.redirectURI)
        #expect(form.pairs.count == 5)
    }

    @Test func refreshSendsOnlyTheRefreshGrant() throws {
        hh.on(Fixtures.tokenURL, status: 200, json: #"{"access_token":"a-2","refresh_token":"r-2"}"#)
        let pair = try client().refresh(refreshToken: "r-1")
        #expect(pair.expiresIn == 1_209_600)
        let sent = try #require(hh.requests.first)
        let form = FakeHH.form(sent)
        #expect(form["grant_type"] == "refresh_token")
        #expect(form["refresh_token"] == "r-1")
        #expect(sent.headers["User-Agent"] == Fixtures.userAgent)
    }

    @Test func invalidGrantIsReportedWithItsDescription() {
        hh.on(
            Fixtures.tokenURL, status: 400,
            json: #"{"error":"invalid_grant","error_description":"code has already been used"}"#)
        let failure = error { _ = try client().exchange(code: "c") }
        #expect(failure == HHClientError.invalidGrant(.codeAlreadyUsed))
        #expect(failure?.grantError == .codeAlreadyUsed)
    }

    @Test func grantRefusalsAreParsedIntoCasesAndUnknownWordsKept() {
        let documented: [GrantRefusal] = [
            .tokenNotExpired, .tokenAlreadyRefreshed, .tokenDeactivated, .tokenRevoked, .badToken, .codeAlreadyUsed,
            .codeExpired,
        ]
        for refusal in documented {
            #expect(GrantRefusal(description: refusal.description) == refusal)
        }
        #expect(GrantRefusal(description: "Token deactivated ") == .tokenDeactivated)
        #expect(GrantRefusal(description: "token was deactivated") == .unknown("token was deactivated"))
        #expect(GrantRefusal(description: "").refreshTokenIsDead == false)
        #expect(
            documented.filter(\.refreshTokenIsDead) == [
                .tokenAlreadyRefreshed, .tokenDeactivated, .tokenRevoked, .badToken,
            ])
    }

    @Test(arguments: [
        (400, #"{"error":"invalid_request","error_description":"bad_user_agent"}"#),
        (500, #"{"error":"invalid_grant"}"#),
        (503, "<html>down</html>"), (200, "not json"), (200, #"{"access_token":"a"}"#),
        (200, #"{"access_token":"","refresh_token":"r"}"#), (302, ""),
    ])
    func otherTokenAnswersAreUnavailable(status: Int, body: String) {
        hh.on(Fixtures.tokenURL, status: status, json: body)
        let failure = error { _ = try client().exchange(code: "c") }
        #expect(failure != nil)
        #expect(failure?.grantError == nil)
        #expect(failure != HHClientError.busy)
    }

    @Test func transportFailureIsUnavailable() {
        hh.on(Fixtures.tokenURL) { _ in throw HHTransportError("timed out after 15.0 s") }
        let failure = error { _ = try client().refresh(refreshToken: "r") }
        #expect(failure != nil)
        #expect(failure?.grantError == nil)
        #expect(failure.flatMap { ErrorMapping.httpError(for: $0) }?.status == 502)
    }

    @Test func meSendsTheBearerTokenAndParsesTheProfile() throws {
        hh.on(meURL, status: 200, json: Self.profileJSON)
        let profile = try client().me(accessToken: "a-1")
        #expect(
            profile
                == HHProfile(
                    id: "174714255", firstName: "Иван", lastName: "Петров", middleName: nil, email: "ivan@example.com"))
        #expect(profile.fullName == "Иван Петров")
        let sent = try #require(hh.requests.first)
        #expect(sent.method == "GET")
        #expect(sent.headers["Authorization"] == "Bearer a-1")
        #expect(sent.headers["User-Agent"] == Fixtures.userAgent)
        #expect(sent.headers["HH-User-Agent"] == Fixtures.userAgent)
    }

    @Test(arguments: [
        (403, #"{"errors":[{"type":"oauth","value":"token_expired"}],"oauth_error":"token-expired"}"#), (500, "{}"),
        (200, "garbage"), (200, #"{"first_name":"Иван"}"#), (200, #"{"id":"abc"}"#), (200, #"{"id":174714255}"#),
    ])
    func unusableMeAnswersAreUnavailable(status: Int, body: String) {
        hh.on(meURL, status: status, json: body)
        let failure = error { _ = try client().me(accessToken: "a") }
        #expect(failure != nil)
        #expect(failure?.grantError == nil)
        #expect(failure != HHClientError.busy)
    }

    @Test func revokeDeletesTheTokenAtHH() throws {
        hh.on(Fixtures.apiURL + "/oauth/token", status: 204, json: "")
        try client().revoke(accessToken: "a-1")
        let sent = try #require(hh.requests.first)
        #expect(sent.method == "DELETE")
        #expect(sent.headers["Authorization"] == "Bearer a-1")
        hh.on(Fixtures.apiURL + "/oauth/token", status: 403, json: "{}")
        #expect(error { try client().revoke(accessToken: "a-1") } != nil)
    }

    @Test func authorizeURLCarriesTheContractParameters() throws {
        let url = client().authorizeURL(state: "st+ate/1")
        #expect(url.hasPrefix(Fixtures.authorizeURL + "?"))
        let query = QueryParameters(parsing: try #require(url.split(separator: "?", maxSplits: 1).last))
        #expect(query["response_type"] == "code")
        #expect(query["client_id"] == "client-id")
        #expect(query["state"] == "st+ate/1")
        #expect(query["redirect_uri"] == Fixtures.redirectURI)

        var settings = Fixtures.headHunter()
        settings.authorizeURL = "https://hh.test/oauth/authorize?force_login=true"
        let withQuery = HHClient(settings: settings, transport: hh).authorizeURL(state: "s")
        #expect(withQuery.hasPrefix("https://hh.test/oauth/authorize?force_login=true&response_type=code"))
    }

    @Test func concurrencyLimitRefusesAtOnceWhenFull() throws {
        let gate = Gate()
        let entered = DispatchSemaphore(value: 0)
        hh.on(meURL) { _ in
            entered.signal()
            gate.wait(timeoutSeconds: 10)
            return HHHTTPResponse(status: 200, body: Array(Self.profileJSON.utf8))
        }
        let client = client(maxConcurrentCalls: 1)
        let first = Locked<Result<HHProfile, HHClientError>?>(nil)
        let finished = DispatchSemaphore(value: 0)
        Thread {
            let result = Result { () throws(HHClientError) -> HHProfile in try client.me(accessToken: "a") }
            first.withLock { $0 = result }
            finished.signal()
        }.start()
        try #require(entered.wait(timeout: .now() + 10) == .success)

        let second = error { _ = try client.me(accessToken: "b") }
        #expect(second == HHClientError.busy)
        #expect(ErrorMapping.httpError(for: HHClientError.busy)?.status == 503)
        #expect(hh.requests.count == 1)

        gate.open()
        try #require(finished.wait(timeout: .now() + 10) == .success)
        #expect(try first.withLock { try $0?.get() }?.id == "174714255")
        // The slot is free again.
        #expect(try client.me(accessToken: "c").id == "174714255")
    }

    @Test func concurrencyLimitCountsSlots() {
        let limit = ConcurrencyLimit(2)
        #expect(limit.tryAcquire())
        #expect(limit.tryAcquire())
        #expect(!limit.tryAcquire())
        limit.release()
        #expect(limit.tryAcquire())
        #expect(ConcurrencyLimit(0).tryAcquire())
    }
}
