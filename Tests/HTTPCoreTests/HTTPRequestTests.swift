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

    /// The byte reading of ASCII headers answers what the `Character` reading answers, on
    /// generated headers made of the bytes that matter (spaces, tabs, CR LF, the scheme's letters).
    @Test func asciiReadingAgreesWithTheCharacterReading() {
        let alphabet = Array(" \t\r\nBearerBEARbx.-=".utf8)
        var state: UInt64 = 0x15
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33)
        }
        var tokens = 0
        for round in 0..<30_000 {
            var bytes: [UInt8] = round % 2 == 0 ? Array("Bearer ".utf8) : []
            for _ in 0..<(next() % 12) { bytes.append(alphabet[next() % alphabet.count]) }
            let value = String(decoding: bytes, as: UTF8.self)
            guard case .some(let fast) = HTTPRequest.asciiBearerToken(value) else {
                Issue.record("ASCII header \(value.debugDescription) not read by the byte path")
                continue
            }
            #expect(fast == HTTPRequest.bearerToken(splitting: value), "header \(value.debugDescription)")
            if fast != nil { tokens += 1 }
        }
        #expect(tokens > 5_000)
        #expect(HTTPRequest.asciiBearerToken("Bearer Иван") == .none)
        #expect(HTTPRequest(method: "GET", path: "/", headers: ["authorization": "Bearer Иван "]).bearerToken == "Иван")
    }
}
