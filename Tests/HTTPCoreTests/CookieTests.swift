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

    @Test func theFirstOfARepeatedNameWinsAndMalformedPairsAreSkipped() {
        let request = request(cookie: ";;garbage; s=first; s=second; =empty-name")
        #expect(request.cookie("s") == "first")
        #expect(request.cookie("garbage") == nil)
        #expect(request.cookie("") == "empty-name")
        #expect(self.request(cookie: nil).cookie("s") == nil)
        #expect(self.request(cookie: "s=").cookie("s") == "")
    }

    @Test func valuesKeepTheirEqualsSignsAndOnlyWhitespaceAndPairedQuotesAreTrimmed() {
        let request = request(cookie: "\t a = b=c \t;q=\";e=\"\";  s\t=\t\"x y\" ;é=1")
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
