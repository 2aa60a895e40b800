import Foundation
import HHStandIn
import Testing

@Suite("GET /me and DELETE /oauth/token")
struct MeAndRevokeTests {
    let standIn = StandInHarness()

    @Test func meDescribesTheDefaultUserInCyrillic() {
        let response = standIn.me(standIn.signIn().access)
        #expect(response.status == 200)
        #expect(header("Content-Type", of: response) == "application/json; charset=utf-8")
        #expect(text(response).contains("\"first_name\":\"Иван\""))
        let body = json(response)
        #expect(body["id"] as? String == "100000001")
        #expect(body["last_name"] as? String == "Петров")
        #expect(body["middle_name"] as? String == "Сергеевич")
        #expect(body["email"] as? String == "ivan.petrov@example.com")
        #expect(body["phone"] is NSNull)
        #expect(body["is_applicant"] as? Bool == true)
        #expect(body["is_employer"] as? Bool == false)
    }

    @Test func configuredDefaultUserSignsIn() {
        _ = standIn.control("config", #"{"default_user_id":"200"}"#)
        #expect(json(standIn.me(standIn.signIn().access))["id"] as? String == "200")
    }

    @Test(arguments: [nil, "NOSUCHTOKEN"])
    func missingOrUnknownTokenIsBadAuthorization(token: String?) {
        let response = standIn.me(token)
        #expect(response.status == 403)
        let body = json(response)
        #expect(body["description"] as? String == "Forbidden")
        #expect(body["oauth_error"] as? String == "bad-authorization")
        #expect((body["request_id"] as? String)?.isEmpty == false)
        let errors = body["errors"] as? [[String: String]]
        #expect(errors?.first?["type"] == "oauth")
        #expect(errors?.first?["value"] == "bad_authorization")
    }

    @Test func expiredTokenIsTokenExpired() {
        let access = standIn.signIn().access
        standIn.clock.advance(seconds: Double(StandInSettings.hhTokenLifetimeSeconds))
        let response = standIn.me(access)
        #expect(response.status == 403)
        #expect(firstErrorValue(response) == "token_expired")
        #expect(json(response)["oauth_error"] as? String == "token-expired")
    }

    @Test func deactivatedUserTokenIsTokenRevoked() {
        let access = standIn.signIn().access
        _ = standIn.control("deactivate", #"{"user_id":"100000001"}"#)
        let response = standIn.me(access)
        #expect(firstErrorValue(response) == "token_revoked")
        #expect(json(response)["oauth_error"] as? String == "token-revoked")
    }

    @Test func revokeEndsTheAccessToken() {
        let access = standIn.signIn().access
        let response = standIn.revoke(access)
        #expect(response.status == 204)
        #expect(response.body.isEmpty)
        #expect(firstErrorValue(standIn.me(access)) == "token_revoked")
        let again = standIn.revoke(access)
        #expect(again.status == 403)
        #expect(firstErrorValue(again) == "token_revoked")
    }

    @Test func revokeNeedsAValidToken() {
        let access = standIn.signIn().access
        standIn.clock.advance(seconds: Double(StandInSettings.hhTokenLifetimeSeconds))
        let response = standIn.revoke(access)
        #expect(response.status == 403)
        #expect(firstErrorValue(response) == "token_expired")
    }

    @Test func postToMeIsMethodNotAllowed() {
        #expect(standIn.send("POST", "/me").status == 405)
    }
}
