import Testing

@testable import HTTPCore

@Suite("Cookies")
struct CookieTests {
    private func request(cookie: String?) -> HTTPRequest {
        HTTPRequest(method: "GET", path: "/", headers: cookie.map { ["cookie": $0] } ?? [:])
    }

    @Test func readsANamedCookieAmongOthers() {
        let request = request(cookie: "a=1; __Host-hh_auth_session=abc_DEF-123;other= x ;q=\"quoted\"")
        #expect(request.cookie("__Host-hh_auth_session") == "abc_DEF-123")
        #expect(request.cookie("a") == "1")
        #expect(request.cookie("other") == "x")
        #expect(request.cookie("q") == "quoted")
        #expect(request.cookie("hh_auth_session") == nil)
        #expect(request.cookie("__Host-hh_auth_sessio") == nil)
    }

    /// nginx's recipe cuts `hh_auth_session=` out of what an app gets, not `hh_auth_session =`:
    /// a name with spaces before its `=` must not be read as ours either, or an app would get a
    /// cookie the service takes for a session.
    @Test func aNameFollowedBySpacesIsNotTheName() {
        let request = request(cookie: "a=1; hh_auth_session =x; hh_auth_login_f1\t=y;  b=2")
        #expect(request.cookie("hh_auth_session") == nil)
        #expect(request.cookie("hh_auth_login_f1") == nil)
        #expect(request.cookie("b") == "2")
        #expect(request.cookieNames(withPrefix: "hh_auth_login_").isEmpty)
        #expect(
            self.request(cookie: "hh_auth_login_f2=z").cookieNames(withPrefix: "hh_auth_login_") == ["hh_auth_login_f2"]
        )
    }

    @Test func theFirstOfARepeatedNameWinsAndMalformedPairsAreSkipped() {
        let request = request(cookie: ";;garbage; s=first; s=second; =empty-name")
        #expect(request.cookie("s") == "first")
        #expect(request.cookie("garbage") == nil)
        #expect(request.cookie("") == "empty-name")
        #expect(self.request(cookie: nil).cookie("s") == nil)
        #expect(self.request(cookie: "s=").cookie("s") == "")
    }

    @Test func valuesKeepTheirEqualsSignsAndOnlyWhitespaceAndPairedQuotesAreTrimmed() {
        // Spaces before a name and around a value go; after a name they make it another name
        // (aNameFollowedBySpacesIsNotTheName).
        let request = request(cookie: "\t a= b=c \t;q=\";e=\"\";  s=\t\"x y\" ;é=1")
        #expect(request.cookie("a") == "b=c")
        #expect(request.cookie("q") == "\"")
        #expect(request.cookie("e") == "")
        #expect(request.cookie("s") == "x y")
        #expect(request.cookie("é") == "1")
        #expect(request.cookie("b") == nil)
    }

    @Test func setCookieCarriesEveryAttribute() {
        let cookie = SetCookie(
            name: "__Host-hh_auth_session", value: "v", maxAge: 3600, secure: true, sameSite: .lax)
        #expect(cookie.headerValue == "__Host-hh_auth_session=v; Path=/; Max-Age=3600; Secure; HttpOnly; SameSite=Lax")
        #expect(cookie.header.name == "Set-Cookie")
        let plain = SetCookie(name: "hh_auth_session", value: "v", maxAge: nil, domain: ".example.com", secure: false)
        #expect(plain.headerValue == "hh_auth_session=v; Path=/; Domain=.example.com; HttpOnly; SameSite=Lax")
        #expect(
            cookie.deleted.headerValue == "__Host-hh_auth_session=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax")
    }
}
