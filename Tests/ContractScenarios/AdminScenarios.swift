import Foundation
import Testing

extension ContractScenario {
    /// The admin API's whitelist and sessions (its credentials, throttle and audit-log queries are
    /// EndToEndTests' AdminAPITests; the domain rules under it, HHAuthTests' AdministrationTests).
    static let adminScenarios: [ContractScenario] = [
        ContractScenario("allow, list, remove and re-allow follow the contract") { client in
            let before = try client.whitelistedIDs()
            let outsider = client.outsider.hhUserID
            let allowed = try client.allow(outsider, comment: "contractor")
            #expect(allowed.status == 200)
            let entry = allowed.json
            #expect(Set(entry.keys) == ["id", "hh_user_id", "comment", "groups", "is_active", "created_at"])
            #expect(entry["groups"] as? [String] == [])
            #expect(entry["hh_user_id"] as? String == outsider)
            #expect(entry["comment"] as? String == "contractor")
            #expect(entry["is_active"] as? Bool == true)
            client.expectTime(entry["created_at"] as? String)
            let entryID = try #require(entry["id"] as? Int)

            let all = try client.asAdmin("GET", "/admin/users")
            #expect(all.status == 200)
            #expect(all.json["total"] as? Int == before.count + 1)
            #expect(try client.whitelistedIDs() == before + [outsider])

            let removed = try client.asAdmin("DELETE", "/admin/users/\(outsider)")
            #expect(removed.status == 200)
            #expect(removed.json["message"] as? String == "User removed from whitelist")
            #expect(try client.asAdmin("GET", "/admin/users?active_only=true").json["total"] as? Int == before.count)
            #expect(try client.whitelistedIDs("?active_only=true") == before)
            // Soft delete: the entry is still there, inactive.
            let afterRemoval = try client.asAdmin("GET", "/admin/users?active_only=false")
            #expect(afterRemoval.json["total"] as? Int == before.count + 1)
            let inactive = (afterRemoval.json["users"] as? [[String: Any]])?.first {
                $0["hh_user_id"] as? String == outsider
            }
            #expect(inactive?["is_active"] as? Bool == false)

            // Without a comment the key is still present, as null.
            let bare = try client.allow("300000003")
            #expect(Set(bare.json.keys) == ["id", "hh_user_id", "comment", "groups", "is_active", "created_at"])
            #expect(bare.json["comment"] is NSNull)

            let reallowed = try client.allow(outsider)
            #expect(reallowed.status == 200)
            #expect(reallowed.json["is_active"] as? Bool == true)
            #expect(reallowed.json["id"] as? Int == entryID)
            #expect(reallowed.json["comment"] as? String == "contractor")
            #expect(
                try client.asAdmin("GET", "/admin/users?active_only=true").json["total"] as? Int == before.count + 2)

            let unknown = try client.asAdmin("DELETE", "/admin/users/999999999")
            #expect(unknown.status == 404)
            #expect(unknown.detail == "User not found")

            // The re-allowed id can sign in again.
            #expect(try !client.exchangeCode(as: outsider).isEmpty)
            let events = try client.auditLog("event_type=user_allowed")
            #expect(events.total == 3)
            #expect(events.metadata("hh_user_id") == [outsider, "300000003", outsider])
            #expect(events.metadata("admin") == Array(repeating: client.admin.username, count: 3))
        },
        ContractScenario("an allow body that is not an object is a 400, a bad field a 422 naming it") { client in
            let before = try client.whitelistedIDs()
            for body in ["not json", "", "[1,2]", "\"200000002\"", "{", #"{"hh_user_id": "1""#, "null"] {
                let response = try client.asAdmin("POST", "/admin/users/allow", json: body)
                #expect(response.status == 400, "body \(body)")
                #expect(response.detail == "Request body must be a JSON object", "body \(body)")
            }
            let fieldCases: [(String, String)] = [
                ("{}", "hh_user_id"),
                (#"{"comment": "x"}"#, "hh_user_id"),
                (#"{"hh_user_id": null}"#, "hh_user_id"),
                (#"{"hh_user_id": 200000002}"#, "hh_user_id"),
                (#"{"hh_user_id": ["200000002"]}"#, "hh_user_id"),
                (#"{"hh_user_id": "200000002", "comment": 5}"#, "comment"),
                (#"{"hh_user_id": "200000002", "comment": {"a": 1}}"#, "comment"),
            ]
            for (body, field) in fieldCases {
                let response = try client.asAdmin("POST", "/admin/users/allow", json: body)
                #expect(response.status == 422, "body \(body)")
                #expect(response.detail?.contains(field) == true, "body \(body): \(response.text)")
            }
            #expect(try client.whitelistedIDs() == before)
        },
        ContractScenario("an entry's groups are set, kept, replaced and cleared; bad groups are a 422") { client in
            let outsider = client.outsider.hhUserID
            func allow(_ fields: String) throws -> ContractResponse {
                try client.asAdmin("POST", "/admin/users/allow", json: #"{"hh_user_id":"\#(outsider)"\#(fields)}"#)
            }
            func listedGroups() throws -> [String]? {
                let users = try client.asAdmin("GET", "/admin/users").json["users"] as? [[String: Any]] ?? []
                return users.first { $0["hh_user_id"] as? String == outsider }?["groups"] as? [String]
            }
            let set = try allow(#","comment":"ops team","groups":["ops","db-admins","ops"]"#)
            #expect(set.status == 200, "\(set.text)")
            #expect(set.json["groups"] as? [String] == ["db-admins", "ops"])
            #expect(try listedGroups() == ["db-admins", "ops"])
            // An old client's body (no groups key), or null, keeps them.
            #expect(try client.allow(outsider).json["groups"] as? [String] == ["db-admins", "ops"])
            #expect(try allow(#","groups":null"#).json["groups"] as? [String] == ["db-admins", "ops"])
            #expect(try allow(#","groups":["viewers"]"#).json["groups"] as? [String] == ["viewers"])
            #expect(try listedGroups() == ["viewers"])
            // A removed entry comes back without its groups unless given them: its rights must not
            // return unnoticed.
            #expect(try client.asAdmin("DELETE", "/admin/users/\(outsider)").status == 200)
            #expect(try client.allow(outsider).json["groups"] as? [String] == [])
            #expect(try allow(#","groups":["viewers"]"#).json["groups"] as? [String] == ["viewers"])

            let eventsBefore = try client.auditLog("event_type=user_allowed").total
            let tooMany = (0...16).map { #""g\#($0)""# }.joined(separator: ",")
            let refused: [(String, String)] = [
                (#","groups":["Ops"]"#, "groups must be names of"),
                (#","groups":[""]"#, "groups must be names of"),
                (#","groups":["-ops"]"#, "groups must be names of"),
                (#","groups":["a,b"]"#, "groups must be names of"),
                (#","groups":["ops team"]"#, "groups must be names of"),
                (#","groups":["\#(String(repeating: "a", count: 33))"]"#, "groups must be names of"),
                (#","groups":["опс"]"#, "groups must be names of"),
                (#","groups":[\#(tooMany)]"#, "groups must hold at most 16 names"),
                (#","groups":"ops""#, "Field 'groups' must be a list"),
                (#","groups":[1]"#, "Field 'groups.0' must be a string"),
            ]
            for (fields, detail) in refused {
                let response = try allow(fields)
                #expect(response.status == 422, "\(fields): \(response.text)")
                #expect(response.detail?.contains(detail) == true, "\(fields): \(response.text)")
            }
            #expect(try listedGroups() == ["viewers"])
            #expect(try client.auditLog("event_type=user_allowed").total == eventsBefore)

            let cleared = try allow(#","groups":[]"#)
            #expect(cleared.json["groups"] as? [String] == [])
            let events = try client.auditLog("event_type=user_allowed")
            #expect(events.metadata("groups").prefix(2) == ["", "viewers"])
        },
        ContractScenario("removing a user ends their sessions at once and refuses their next sign-in") { client in
            let user = client.user.hhUserID
            #expect(try client.allow(client.outsider.hhUserID).status == 200)
            let first = try client.signIn()
            let second = try client.signIn()
            let bystander = try client.signIn(as: client.outsider.hhUserID)
            #expect(try client.token(first).status == 200)

            #expect(try client.asAdmin("DELETE", "/admin/users/\(user)").status == 200)
            for session in [first, second] {
                let refused = try client.token(session)
                #expect(refused.status == 401)
                #expect(refused.detail == "Invalid session")
                #expect(try client.get("/users/me", headers: client.bearer(session)).status == 401)
            }
            #expect(try client.token(bystander).status == 200)
            #expect(try client.asAdmin("GET", "/admin/sessions").json["total"] as? Int == 1)

            let again = try client.browserLogin(accept: "application/json")
            #expect(again.status == 403)
            #expect(again.detail == "User \(user) is not allowed to access this service")
            #expect(Contract.exchangeCode(inPage: again.text) == nil)

            let removed = try client.auditLog("event_type=user_removed").newest
            #expect(removed["sessions_ended"] as? Int == 2)
            #expect(removed["hh_user_id"] as? String == user)
            #expect(removed["admin"] as? String == client.admin.username)
            #expect(removed["ip"] as? String == client.clientAddress)
            #expect(try client.auditLog("event_type=login_failed").newest["reason"] as? String == "not_whitelisted")
        },
        ContractScenario("the session list shows handles, never the session ids") { client in
            #expect(try client.asAdmin("GET", "/admin/sessions").json["total"] as? Int == 0)
            let sessionIDs = [try client.signIn(), try client.signIn()]
            let response = try client.asAdmin("GET", "/admin/sessions")
            #expect(response.status == 200)
            #expect(Set(response.json.keys) == ["sessions", "total"])
            #expect(response.json["total"] as? Int == 2)
            let sessions = try #require(response.json["sessions"] as? [[String: Any]])
            #expect(sessions.count == 2)
            for session in sessions {
                #expect(Set(session.keys) == ["id", "user_id", "user", "created_at", "expires_at"])
                let handle = try #require(session["id"] as? String)
                #expect(!sessionIDs.contains(handle))
                #expect(session["user_id"] is Int)
                let user = try #require(session["user"] as? [String: Any])
                #expect(Set(user.keys) == ["hh_user_id", "full_name", "email"])
                #expect(user["hh_user_id"] as? String == client.user.hhUserID)
                #expect(user["full_name"] as? String == client.user.fullName)
                #expect(user["email"] as? String == client.user.email)
                let created = try #require(
                    (session["created_at"] as? String).flatMap(ISO8601DateFormatter().date(from:)))
                let expires = try #require(
                    (session["expires_at"] as? String).flatMap(ISO8601DateFormatter().date(from:)))
                #expect(abs(expires.timeIntervalSince(created) - 720 * 3600) <= 1)
            }
            #expect(Set(sessions.compactMap { $0["id"] as? String }).count == 2)
            for sessionID in sessionIDs { #expect(!response.text.contains(sessionID)) }
            // A handle is not a session: it buys no token.
            #expect(try client.token(try #require(sessions.first?["id"] as? String)).status == 401)
        },
        ContractScenario("ending a session by handle or by raw id ends it and only it") { client in
            let first = try client.signIn()
            let listed = try client.asAdmin("GET", "/admin/sessions").json["sessions"] as? [[String: Any]]
            let handle = try #require(listed?.first?["id"] as? String)
            let second = try client.signIn()
            let third = try client.signIn()

            let byHandle = try client.asAdmin("DELETE", "/admin/sessions/\(handle)")
            #expect(byHandle.status == 200)
            #expect(byHandle.json["message"] as? String == "Session terminated")
            let dead = try client.token(first)
            #expect(dead.status == 401)
            #expect(dead.detail == "Invalid session")
            #expect(try client.token(second).status == 200)

            #expect(try client.asAdmin("DELETE", "/admin/sessions/\(second)").status == 200)
            #expect(try client.token(second).detail == "Invalid session")
            #expect(try client.token(third).status == 200)
            #expect(try client.asAdmin("GET", "/admin/sessions").json["total"] as? Int == 1)

            for gone in [handle, second, "s_doesnotexist", "x"] {
                let missing = try client.asAdmin("DELETE", "/admin/sessions/\(gone)")
                #expect(missing.status == 404, "\(gone)")
                #expect(missing.detail == "Session not found")
            }
            let events = try client.auditLog("event_type=session_terminated")
            #expect(events.total == 2)
            #expect((events.events.last?["event_metadata"] as? [String: Any])?["session"] as? String == handle)
            for session in [first, second, third] { #expect(!events.raw.contains(session)) }
        },
    ]
}
