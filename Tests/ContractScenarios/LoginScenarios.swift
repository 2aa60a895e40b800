import Foundation
import Testing

extension ContractScenario {
    /// `/auth/login` and `/auth/callback`.
    static let loginScenarios: [ContractScenario] = [
        ContractScenario("the success page shows the exchange code and nothing from elsewhere") { client in
            let response = try client.browserLogin()
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "text/html; charset=utf-8")
            #expect(response.header("Cache-Control") == "no-store")
            #expect(response.header("Referrer-Policy") == "no-referrer")
            let csp = try #require(response.header("Content-Security-Policy"))
            #expect(csp.contains("default-src 'none'"))
            #expect(csp.contains("frame-ancestors 'none'"))
            let page = response.text
            #expect(page.contains(client.user.fullName))
            #expect(!page.contains("http://") && !page.contains("https://") && !page.contains("src=\"//"))
            let code = try #require(Contract.exchangeCode(inPage: page))
            #expect(code.count >= 22)

            let login = try client.auditLog("event_type=login")
            #expect(login.total == 1)
            #expect(login.newest["hh_user_id"] as? String == client.user.hhUserID)
            #expect(login.newest["ip"] as? String == client.clientAddress)
            #expect(!login.raw.contains(code))
        },
        ContractScenario("a state is used up by its callback; a forged or missing one is refused") { client in
            let callback = try client.callbackTarget()
            #expect(try client.get(callback).status == 200)
            let replay = try client.get(callback)
            #expect(replay.status == 400)
            #expect(replay.detail == "Invalid or expired state parameter")
            for target in [
                "/auth/callback?code=abc&state=forged-state-value", "/auth/callback?code=abc", "/auth/callback",
            ] {
                let response = try client.get(target)
                #expect(response.status == 400, "\(target)")
                #expect(response.detail == "Invalid or expired state parameter", "\(target)")
            }
        },
        ContractScenario("a denied authorization is a 400 and an audited failure") { client in
            let response = try client.get(
                try client.callbackTarget(deny: true), headers: ["Accept": "application/json"])
            #expect(response.status == 400)
            #expect(response.detail == "Authorization was denied")
            #expect(try client.auditLog("event_type=login_failed").newest["reason"] as? String == "access_denied")
        },
        ContractScenario("a user off the whitelist gets 403, as JSON or as a page, and no code") { client in
            let outsider = client.outsider.hhUserID
            let message = "User \(outsider) is not allowed to access this service"
            let json = try client.browserLogin(as: outsider, accept: "application/json")
            #expect(json.status == 403)
            #expect(json.detail == message)
            let failures = try client.auditLog("event_type=login_failed")
            #expect(failures.total == 1)
            #expect(failures.newest["reason"] as? String == "not_whitelisted")
            #expect(failures.newest["hh_user_id"] as? String == outsider)

            let page = try client.browserLogin(as: outsider, accept: "text/html,*/*")
            #expect(page.status == 403)
            #expect(page.header("Content-Type") == "text/html; charset=utf-8")
            #expect(page.header("Cache-Control") == "no-store")
            #expect(page.text.contains(message))
            #expect(Contract.exchangeCode(inPage: page.text) == nil)
        },
        ContractScenario("only the allow-listed client redirect gets the code, in its URL") { client in
            let allowed = Contract.clientRedirect
            for bad in [
                "https://evil.example.com/", allowed + "/", allowed + "x", allowed + "?x=1", allowed + "/../evil",
                "https://app.example.com.evil.com/done", "//evil.example.com", "",
            ] {
                let response = try client.get("/auth/login?redirect_uri=" + Contract.encode(bad))
                #expect(response.status == 400, "\(bad)")
                #expect(response.header("Location") == nil, "\(bad)")
                #expect(response.header("Content-Type") == "application/json; charset=utf-8", "\(bad)")
                #expect(response.detail != nil, "\(bad)")
            }
            let response = try client.get(try client.callbackTarget(redirect: allowed))
            #expect(response.status == 302)
            let location = try #require(response.header("Location"))
            #expect(location.hasPrefix(allowed + "?exchange_code="))
            let code = try #require(URLComponents(string: location)?.queryItems?.first?.value)
            #expect(try client.exchange(code).status == 200)
        },
    ]
}
