import HHStandIn
import Testing

@Suite("POST /token, grant_type=authorization_code")
struct CodeGrantTests {
    let standIn = StandInHarness()

    @Test func exchangesCodeForBearerPair() {
        let response = standIn.exchange(standIn.code())
        #expect(response.status == 200)
        #expect(header("Content-Type", of: response) == "application/json; charset=utf-8")
        let body = json(response)
        #expect(body["token_type"] as? String == "bearer")
        #expect(body["expires_in"] as? Int == 1_209_600)
        #expect((body["access_token"] as? String)?.count == 64)
        #expect((body["refresh_token"] as? String)?.count == 64)
        #expect(body["access_token"] as? String != body["refresh_token"] as? String)
    }

    @Test func codeIsSingleUse() {
        let code = standIn.code()
        #expect(standIn.exchange(code).status == 200)
        let second = standIn.exchange(code)
        #expect(second.status == 400)
        #expect(json(second)["error"] as? String == "invalid_grant")
        #expect(errorDescription(second) == "code has already been used")
    }

    @Test func codeExpiresAfterTenMinutes() {
        let code = standIn.code()
        standIn.clock.advance(seconds: 600)
        let response = standIn.exchange(code)
        #expect(response.status == 400)
        #expect(errorDescription(response) == "code expired")
    }

    @Test func codeJustBeforeExpiryStillWorks() {
        let code = standIn.code()
        standIn.clock.advance(seconds: 599)
        #expect(standIn.exchange(code).status == 200)
    }

    @Test func unknownCodeIsBadToken() {
        let response = standIn.exchange("NOSUCHCODE")
        #expect(json(response)["error"] as? String == "invalid_grant")
        #expect(errorDescription(response) == "bad token")
    }

    @Test func wrongSecretIsInvalidClientAndDoesNotSpendTheCode() {
        let code = standIn.code()
        let response = standIn.exchange(code, secret: "wrong")
        #expect(response.status == 400)
        #expect(json(response)["error"] as? String == "invalid_client")
        #expect(standIn.exchange(code).status == 200)
    }

    @Test func redirectURIMustMatchTheAuthorizeRequest() {
        let response = standIn.exchange(standIn.code(), redirectURI: "https://evil.example/cb")
        #expect(response.status == 400)
        #expect(json(response)["error"] as? String == "invalid_request")
    }

    @Test func missingFieldIsInvalidRequest() {
        let response = standIn.postForm(
            "/token", [("grant_type", "authorization_code"), ("client_id", StandInHarness.clientID), ("code", "X")])
        #expect(response.status == 400)
        #expect(json(response)["error"] as? String == "invalid_request")
        #expect(errorDescription(response) == "client_secret is required")
    }

    @Test func unknownGrantTypeIsUnsupported() {
        let response = standIn.postForm("/token", [("grant_type", "password")])
        #expect(json(response)["error"] as? String == "unsupported_grant_type")
    }

    @Test func jsonBodyIsRefused() {
        let response = standIn.send(
            "POST", "/token", contentType: "application/json", body: #"{"grant_type":"authorization_code"}"#)
        #expect(response.status == 400)
        #expect(json(response)["error"] as? String == "invalid_request")
    }

    @Test func unconfiguredClientAcceptsAnyCredentials() {
        let open = StandInHarness(settings: StandInSettings())
        #expect(open.exchange(open.code(), secret: "anything").status == 200)
    }
}
