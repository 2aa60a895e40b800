import Foundation
import HHStandIn
import HTTPCore
import Synchronization
import Testing

@Suite("POST /token, grant_type=refresh_token")
struct RefreshGrantTests {
    let standIn = StandInHarness()
    let lifetime = Double(StandInSettings.hhTokenLifetimeSeconds)

    @Test func refreshBeforeExpiryIsTokenNotExpired() {
        let tokens = standIn.signIn()
        standIn.clock.advance(seconds: lifetime - 1)
        let response = standIn.refresh(tokens.refresh)
        #expect(response.status == 400)
        #expect(json(response)["error"] as? String == "invalid_grant")
        #expect(errorDescription(response) == "token not expired")
        // The refused attempt spends nothing: after expiry the same token works.
        standIn.clock.advance(seconds: 1)
        #expect(standIn.refresh(tokens.refresh).status == 200)
    }

    @Test func refreshAfterExpiryGivesNewPairAndSpendsTheOld() {
        let tokens = standIn.signIn()
        standIn.clock.advance(seconds: lifetime)
        let response = standIn.refresh(tokens.refresh)
        #expect(response.status == 200)
        let fresh = json(response)
        let newAccess = fresh["access_token"] as? String ?? ""
        let newRefresh = fresh["refresh_token"] as? String ?? ""
        #expect(newAccess != tokens.access && newRefresh != tokens.refresh)
        #expect(fresh["expires_in"] as? Int == 1_209_600)
        #expect(standIn.me(newAccess).status == 200)
        #expect(firstErrorValue(standIn.me(tokens.access)) == "token_expired")

        let reuse = standIn.refresh(tokens.refresh)
        #expect(reuse.status == 400)
        #expect(errorDescription(reuse) == "token has already been refreshed")
    }

    @Test func controlExpireAllowsRefreshWithoutWaiting() {
        let tokens = standIn.signIn()
        #expect(json(standIn.control("expire"))["expired_access_tokens"] as? Int == 1)
        #expect(standIn.refresh(tokens.refresh).status == 200)
    }

    @Test func revokedPairCannotBeRefreshed() {
        let tokens = standIn.signIn()
        #expect(standIn.revoke(tokens.access).status == 204)
        standIn.clock.advance(seconds: lifetime)
        #expect(errorDescription(standIn.refresh(tokens.refresh)) == "token was revoked")
    }

    @Test func deactivatedUserCannotRefresh() {
        let tokens = standIn.signIn()
        let other = standIn.signIn(asUser: "555")
        let deactivation = standIn.control("deactivate", #"{"user_id":"100000001"}"#)
        #expect(json(deactivation)["deactivated_pairs"] as? Int == 1)
        standIn.clock.advance(seconds: lifetime)
        #expect(errorDescription(standIn.refresh(tokens.refresh)) == "token deactivated")
        #expect(standIn.refresh(other.refresh).status == 200)
    }

    @Test func unknownRefreshTokenIsBadToken() {
        #expect(errorDescription(standIn.refresh("NOPE")) == "bad token")
    }

    @Test func missingRefreshTokenIsInvalidRequest() {
        let response = standIn.postForm("/token", [("grant_type", "refresh_token")])
        #expect(json(response)["error"] as? String == "invalid_request")
        #expect(errorDescription(response) == "token is empty")
    }

    @Test func configuredLifetimeIsUsed() {
        #expect(standIn.control("config", #"{"token_lifetime_seconds":1}"#).status == 200)
        let response = standIn.exchange(standIn.code())
        #expect(json(response)["expires_in"] as? Int == 1)
        let refresh = json(response)["refresh_token"] as? String ?? ""
        #expect(errorDescription(standIn.refresh(refresh)) == "token not expired")
        standIn.clock.advance(seconds: 1)
        #expect(standIn.refresh(refresh).status == 200)
    }

    @Test func exactlyOneOf32ConcurrentRefreshesWins() {
        let tokens = standIn.signIn()
        standIn.clock.advance(seconds: lifetime)
        let outcomes = OutcomeLog()
        let group = DispatchGroup()
        let responder = standIn.responder
        let request = refreshRequest(tokens.refresh)
        for _ in 0..<32 {
            group.enter()
            Thread {
                let response = responder.respond(to: request)
                let outcome = response.status == 200 ? "ok" : (errorDescription(response) ?? "?")
                outcomes.entries.withLock { $0.append(outcome) }
                group.leave()
            }.start()
        }
        group.wait()
        let all = outcomes.entries.withLock { $0 }
        #expect(all.count == 32)
        #expect(all.filter { $0 == "ok" }.count == 1)
        #expect(all.filter { $0 == "token has already been refreshed" }.count == 31)
        #expect(standIn.stats()["refresh_grants"] as? Int == 1)
        #expect(standIn.stats()["refresh_failures"] as? Int == 31)
    }

    private func refreshRequest(_ refreshToken: String) -> HTTPRequest {
        StandInHarness.request(
            "POST", "/token", contentType: "application/x-www-form-urlencoded",
            body: "grant_type=refresh_token&refresh_token=\(refreshToken)")
    }
}

/// What each concurrent caller got; a class so the threads' escaping closures can share it.
private final class OutcomeLog: Sendable {
    let entries = Mutex<[String]>([])
}
