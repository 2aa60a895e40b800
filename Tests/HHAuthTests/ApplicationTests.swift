import FastCGI
import Foundation
import HTTPCore
import Synchronization
import Testing

@testable import HHAuth

private struct LeakyError: Error, CustomStringConvertible {
    var description: String { "SQL: SELECT secret FROM users WHERE password = 'hunter2'" }
}

private final class Probe: Sendable {
    let calls = Mutex(0)
    let seen = Mutex<HTTPRequest?>(nil)
}

@Suite("Application")
struct ApplicationTests {
    private let probe = Probe()

    func makeApplication() -> Application {
        var router = Router()
        router.get("/echo", effects: .readOnly) { [probe] request in
            probe.calls.withLock { $0 += 1 }
            probe.seen.withLock { $0 = request }
            return try .json(["ok": "yes"])
        }
        router.post("/echo") { [probe] _ in
            probe.calls.withLock { $0 += 1 }
            return try .json(["posted": "yes"])
        }
        router.get("/boom", effects: .readOnly) { _ in throw LeakyError() }
        router.get("/teapot", effects: .readOnly) { _ in
            throw HTTPError(418, "I am a teapot", headers: [HTTPHeader("X-Extra", "1")])
        }
        router.get("/items/{id}", effects: .readOnly) { [probe] request in
            probe.seen.withLock { $0 = request }
            return HTTPResponse(status: 200)
        }
        return Application(router: router, metrics: RequestMetrics(), logger: Fixtures.logger)
    }

    @Test func unknownPathIsJSON404() {
        let response = makeApplication().respond(to: fastCGIRequest("GET", "/nope"))
        #expect(response.status == 404)
        #expect(response.header("Content-Type") == "application/json; charset=utf-8")
        #expect(response.json as? [String: String] == ["detail": "Not found"])
    }

    @Test func wrongMethodIsJSON405WithAllow() {
        let response = makeApplication().respond(to: fastCGIRequest("DELETE", "/echo"))
        #expect(response.status == 405)
        #expect(response.header("Allow") == "GET, POST")
        #expect(response.header("Content-Type") == "application/json; charset=utf-8")
        #expect(response.detail == "Method not allowed")
        #expect(probe.calls.withLock { $0 } == 0)
    }

    @Test func oversizedBodyIs413AndTheHandlerNeverRuns() {
        var request = fastCGIRequest("POST", "/echo")
        request.bodyExceedsLimit = true
        let response = makeApplication().respond(to: request)
        #expect(response.status == 413)
        #expect(response.header("Content-Type") == "application/json; charset=utf-8")
        #expect(response.json as? [String: String] == ["detail": "Request body too large"])
        #expect(probe.calls.withLock { $0 } == 0)
    }

    @Test func unexpectedErrorIsFixed500WithoutDetails() {
        let response = makeApplication().respond(to: fastCGIRequest("GET", "/boom"))
        #expect(response.status == 500)
        #expect(response.header("Content-Type") == "application/json; charset=utf-8")
        #expect(response.json as? [String: String] == ["detail": "An internal error occurred. Please try again later."])
        #expect(!response.text.contains("SELECT"))
        #expect(!response.text.contains("hunter2"))
        #expect(response.header("X-Request-Id") != nil)
    }

    @Test func httpErrorFromHandlerKeepsStatusDetailAndHeaders() {
        let response = makeApplication().respond(to: fastCGIRequest("GET", "/teapot"))
        #expect(response.status == 418)
        #expect(response.detail == "I am a teapot")
        #expect(response.header("X-Extra") == "1")
    }

    @Test func requestIdComesFromNginxWhenWellFormed() {
        let id = "0123456789abcdef0123456789abcdef"
        let response = makeApplication().respond(to: fastCGIRequest("GET", "/echo", extra: ["REQUEST_ID": id]))
        #expect(response.header("X-Request-Id") == id)
        #expect(probe.seen.withLock { $0?.requestID } == id)
    }

    @Test(arguments: [
        nil, "0123456789ABCDEF0123456789ABCDEF", "0123456789abcdef", "0123456789abcdef0123456789abcdeg",
        "0123456789abcdef\r\nX-Evil: 1\r\n0123456789abcdef",
    ])
    func requestIdIsFreshWhenMissingOrMalformed(candidate: String?) throws {
        let extra = candidate.map { ["REQUEST_ID": $0] } ?? [:]
        let response = makeApplication().respond(to: fastCGIRequest("GET", "/nope", extra: extra))
        let id = try #require(response.header("X-Request-Id"))
        #expect(id != candidate)
        #expect(id.count == 32)
        #expect(id.allSatisfy { "0123456789abcdef".contains($0) })
    }

    @Test func requestIdsDifferBetweenRequests() {
        let application = makeApplication()
        let first = application.respond(to: fastCGIRequest("GET", "/echo")).header("X-Request-Id")
        let second = application.respond(to: fastCGIRequest("GET", "/echo")).header("X-Request-Id")
        #expect(first != second)
    }

    @Test func httpParamsBecomeLowercasedDashedHeaders() throws {
        let request = fastCGIRequest(
            "GET", "/echo", headers: ["X-Custom-Thing": "value", "User-Agent": "curl/8"],
            contentType: "application/json",
            extra: ["REMOTE_ADDR": "198.51.100.9", "SERVER_NAME": "auth.example.com"])
        _ = makeApplication().respond(to: request)
        let seen = try #require(probe.seen.withLock { $0 })
        #expect(seen.headers["x-custom-thing"] == "value")
        #expect(seen.header("X-Custom-Thing") == "value")
        #expect(seen.userAgent == "curl/8")
        #expect(seen.headers["content-type"] == "application/json")
        #expect(seen.headers["server-name"] == nil)
        #expect(seen.headers.keys.allSatisfy { $0 == $0.lowercased() && !$0.contains("_") })
        #expect(seen.clientAddress == "198.51.100.9")
    }

    @Test func queryStringIsParsedAndPathExcludesIt() throws {
        _ = makeApplication().respond(
            to: fastCGIRequest("GET", "/echo?a=1&b=%D0%9F%D1%80%D0%B8%D0%B2%D0%B5%D1%82+%21&a=2"))
        let seen = try #require(probe.seen.withLock { $0 })
        #expect(seen.path == "/echo")
        #expect(seen.query["a"] == "1")
        #expect(seen.query["b"] == "Привет !")
        #expect(seen.query.pairs.count == 3)
    }

    @Test func queryIsTakenFromRequestURIWhenQueryStringIsAbsent() throws {
        let request = FastCGIRequest(params: ["REQUEST_METHOD": "GET", "REQUEST_URI": "/items/x%20y?k=v%20w"])
        let response = makeApplication().respond(to: request)
        #expect(response.status == 200)
        let seen = try #require(probe.seen.withLock { $0 })
        #expect(seen.query["k"] == "v w")
        #expect(seen.pathParameters == ["id": "x y"])
    }

    @Test func headAnswersWithoutABody() {
        let response = makeApplication().respond(to: fastCGIRequest("HEAD", "/echo"))
        #expect(response.status == 200)
        #expect(response.body.isEmpty)
        #expect(probe.calls.withLock { $0 } == 1)
    }
}
