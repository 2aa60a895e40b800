import Foundation
import HHStandIn
import Testing

@Suite("GET /oauth/authorize")
struct AuthorizeTests {
    let standIn = StandInHarness()
    let base = "response_type=code&client_id=\(StandInHarness.clientID)"

    @Test func approvesAtOnceWithCodeAndPercentEncodedState() {
        let response = standIn.authorize(
            query: base + "&state=a%20b%26c&redirect_uri=https%3A%2F%2Fapp.example%2Fcb")
        #expect(response.status == 302)
        let location = header("Location", of: response) ?? ""
        #expect(location.hasPrefix("https://app.example/cb?code="))
        #expect(location.hasSuffix("&state=a%20b%26c"))
        #expect((queryValue("code", in: location) ?? "").count == 64)
    }

    @Test func appendsWithAmpersandWhenRedirectHasQuery() {
        let response = standIn.authorize(
            query: base + "&state=xyz&redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3Fnext%3D1")
        let location = header("Location", of: response) ?? ""
        #expect(location.hasPrefix("https://app.example/cb?next=1&code="))
        #expect(location.hasSuffix("&state=xyz"))
    }

    @Test func denyRedirectsWithAccessDenied() {
        let response = standIn.authorize(query: base + "&state=s9&deny=1&redirect_uri=https%3A%2F%2Fapp.example%2Fcb")
        #expect(response.status == 302)
        #expect(header("Location", of: response) == "https://app.example/cb?error=access_denied&state=s9")
    }

    @Test func asUserSignsInAsThatUserWithGeneratedProfile() {
        let tokens = standIn.signIn(asUser: "777")
        let profile = json(standIn.me(tokens.access))
        #expect(profile["id"] as? String == "777")
        #expect(profile["first_name"] as? String == "Тест")
        #expect(profile["last_name"] as? String == "Пользователь 777")
    }

    @Test func asUserWithRegisteredProfileUsesIt() {
        let added = standIn.control(
            "users", #"{"id":"42","first_name":"Анна","last_name":"Смирнова","email":"anna@example.com"}"#)
        #expect(added.status == 200)
        let profile = json(standIn.me(standIn.signIn(asUser: "42").access))
        #expect(profile["first_name"] as? String == "Анна")
        #expect(profile["middle_name"] is NSNull)
    }

    @Test func wrongClientIDIsRefused() {
        let response = standIn.authorize(
            query: "response_type=code&client_id=other&state=s&redirect_uri=https%3A%2F%2Fapp.example%2Fcb")
        #expect(response.status == 400)
        #expect(firstErrorValue(response) == "client_id")
        #expect(header("Location", of: response) == nil)
    }

    @Test func wrongResponseTypeIsRefused() {
        let response = standIn.authorize(
            query: "response_type=token&client_id=\(StandInHarness.clientID)&redirect_uri=https%3A%2F%2Fapp.example")
        #expect(response.status == 400)
        #expect(firstErrorValue(response) == "response_type")
    }

    @Test func missingUserAgentIsRefusedWithHHBody() {
        let response = standIn.send("GET", "/oauth/authorize?" + base, headers: [:])
        #expect(response.status == 400)
        let body = json(response)
        let errors = body["errors"] as? [[String: String]]
        #expect(errors?.first?["type"] == "bad_user_agent")
        #expect(errors?.first?["value"] == "missing")
        #expect((body["request_id"] as? String)?.count == 32)
        #expect(header("Content-Type", of: response) == "application/json; charset=utf-8")
    }

    @Test func hhUserAgentAloneIsEnough() {
        let response = standIn.send("GET", "/me", headers: ["HH-User-Agent": StandInHarness.userAgent])
        #expect(response.status == 403)
    }

    @Test func unknownPathIsJSON404() {
        let response = standIn.send("GET", "/vacancies")
        #expect(response.status == 404)
        #expect(header("Content-Type", of: response) == "application/json; charset=utf-8")
        #expect(((json(response)["errors"] as? [[String: Any]])?.first)?["type"] as? String == "not_found")
    }
}
