import Testing

@testable import HTTPCore

@Suite("HTTPRequest")
struct HTTPRequestTests {
    @Test func bearerTokenIsReadFromAuthorization() {
        let request = HTTPRequest(method: "GET", path: "/", headers: ["authorization": "Bearer  abc.def "])
        #expect(request.bearerToken == "abc.def")
        #expect(HTTPRequest(method: "GET", path: "/", headers: ["authorization": "bearer xyz"]).bearerToken == "xyz")
        #expect(HTTPRequest(method: "GET", path: "/", headers: ["authorization": "Basic eHl6"]).bearerToken == nil)
        #expect(HTTPRequest(method: "GET", path: "/", headers: ["authorization": "Bearer"]).bearerToken == nil)
    }
}
