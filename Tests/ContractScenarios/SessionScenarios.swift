import Foundation
import Testing

extension ContractScenario {
    /// The session API: `/auth/exchange`, `/auth/token`, `/auth/refresh`, `/users/me`, `/auth/logout`.
    static let sessionScenarios: [ContractScenario] = [
        ContractScenario("an exchange code buys one 720-hour session, once") { client in
            let code = try client.exchangeCode()
            let response = try client.exchange(code)
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "application/json; charset=utf-8")
            #expect(response.header("Cache-Control") == "no-store")
            let sessionID = try #require(response.json["session_id"] as? String)
            #expect(sessionID.count == 43)
            client.expectTime(response.json["expires_at"] as? String, isNowPlus: 720 * 3600)

            let reuse = try client.exchange(code)
            #expect(reuse.status == 400)
            #expect(reuse.detail == "Invalid or expired exchange code")
            #expect(try client.exchange("never-issued").detail == "Invalid or expired exchange code")

            let created = try client.auditLog("event_type=session_created")
            #expect(created.total == 1)
            #expect(created.metadata("session").allSatisfy { $0.hasPrefix("s_") })
            #expect(!created.raw.contains(sessionID))
        },
        ContractScenario("a body that is not a JSON object is a 400, a missing or mistyped field a 422") { client in
            for body in ["exchange_code=abc", "{not json"] {
                let malformed = try client.post("/auth/exchange", json: body)
                #expect(malformed.status == 400, "\(body)")
                #expect(malformed.detail == "Request body must be a JSON object", "\(body)")
            }
            for body in [#"{"code":"abc"}"#, #"{"other":1}"#, #"{"exchange_code":42}"#] {
                let response = try client.post("/auth/exchange", json: body)
                #expect(response.status == 422, "\(body)")
                #expect(response.detail?.contains("exchange_code") == true, "\(body): \(response.text)")
            }
        },
        ContractScenario("the token comes for a session id in the body or as a bearer") { client in
            let sessionID = try client.signIn()
            let response = try client.token(sessionID)
            #expect(response.status == 200)
            #expect(response.header("Cache-Control") == "no-store")
            #expect(response.json["token_type"] as? String == "Bearer")
            let accessToken = try #require(response.json["access_token"] as? String)
            #expect(!accessToken.isEmpty)
            #expect((response.json["expires_at"] as? String).flatMap(ISO8601DateFormatter().date(from:)) != nil)

            let bearer = try client.post("/auth/token", headers: client.bearer(sessionID))
            #expect(bearer.status == 200)
            #expect(bearer.json["access_token"] as? String == accessToken)

            for bad in [
                try client.token("not-a-session"), try client.post("/auth/token", headers: client.bearer("nope")),
            ] {
                #expect(bad.status == 401)
                #expect(bad.detail == "Invalid session")
            }
        },
        ContractScenario("a refresh before HH's token expired hands out the current token") { client in
            let sessionID = try client.signIn()
            let current = try #require(try client.token(sessionID).json["access_token"] as? String)
            let forced = try client.token(sessionID, path: "/auth/refresh")
            #expect(forced.status == 200)
            #expect(forced.json["access_token"] as? String == current)
            #expect(try client.token(sessionID).status == 200)
        },
        ContractScenario("/users/me has the contract's shape, for the id in the query or as a bearer") { client in
            let sessionID = try client.signIn()
            let response = try client.get("/users/me?session_id=\(sessionID)")
            #expect(response.status == 200)
            let json = response.json
            #expect(
                Set(json.keys) == ["id", "hh_user_id", "email", "full_name", "is_active", "created_at", "updated_at"])
            #expect(json["id"] as? Int == 1)
            #expect(json["hh_user_id"] as? String == client.user.hhUserID)
            #expect(json["email"] as? String == client.user.email)
            #expect(json["full_name"] as? String == client.user.fullName)
            #expect(json["is_active"] as? Bool == true)
            client.expectTime(json["created_at"] as? String)
            client.expectTime(json["updated_at"] as? String)

            let bearer = try client.get("/users/me", headers: client.bearer(sessionID))
            #expect(bearer.status == 200)
            #expect(bearer.json["hh_user_id"] as? String == client.user.hhUserID)
            let forged = try client.get("/users/me?session_id=forged")
            #expect(forged.status == 401)
            #expect(forged.detail == "Invalid session")
        },
        ContractScenario("logout ends that session and only that one") { client in
            let first = try client.signIn()
            let second = try client.signIn()
            let logout = try client.post("/auth/logout", json: #"{"session_id":"\#(first)"}"#)
            #expect(logout.status == 200)
            #expect(logout.json as? [String: String] == ["message": "Logout successful"])
            let token = try client.token(first)
            #expect(token.status == 401)
            #expect(token.detail == "Invalid session")
            #expect(try client.get("/users/me?session_id=\(first)").status == 401)
            #expect(try client.token(second).status == 200)
            let again = try client.post("/auth/logout", headers: client.bearer(first))
            #expect(again.status == 401)
            #expect(again.detail == "Invalid session")
        },
    ]
}
