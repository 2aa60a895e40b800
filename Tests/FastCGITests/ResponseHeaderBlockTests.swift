import Testing

@testable import FastCGI

/// The CGI header block the server writes before the body, byte for byte.
@Suite struct ResponseHeaderBlockTests {
    private func text(_ response: FastCGIResponse) -> String {
        String(decoding: response.headerBlock(), as: UTF8.self)
    }

    @Test func statusHeadersAndContentLengthInOrder() {
        let response = FastCGIResponse(
            status: 200,
            headers: [CGIField("Content-Type", "application/json"), CGIField("Cache-Control", "no-store")],
            body: Array("{\"a\":1}".utf8))
        #expect(
            text(response)
                == "Status: 200 OK\r\nContent-Type: application/json\r\nCache-Control: no-store\r\nContent-Length: 7\r\n\r\n"
        )
    }

    @Test func unknownStatusAndEmptyBody() {
        #expect(text(FastCGIResponse(status: 299)) == "Status: 299 Status\r\nContent-Length: 0\r\n\r\n")
    }

    @Test func headersThatWouldSplitTheResponseOrLieAboutItsLengthAreDropped() {
        let response = FastCGIResponse(
            status: 302,
            headers: [
                CGIField("Location", "/next\r\nSet-Cookie: x=1"), CGIField("X-Bad\nName", "v"),
                CGIField("Bad:Name", "v"),
                CGIField("content-length", "1"), CGIField("CONTENT-LENGTH", "2"), CGIField("Content-Lengthy", "kept"),
                CGIField("X-Ok", "yes"),
            ],
            body: Array(repeating: 0x41, count: 1234))
        #expect(
            text(response) == "Status: 302 Found\r\nContent-Lengthy: kept\r\nX-Ok: yes\r\nContent-Length: 1234\r\n\r\n")
    }

    @Test func nonASCIIValuesPassAsUTF8() {
        let response = FastCGIResponse(status: 400, headers: [CGIField("X-Name", "Иван")])
        #expect(
            response.headerBlock() == Array("Status: 400 Bad Request\r\nX-Name: Иван\r\nContent-Length: 0\r\n\r\n".utf8)
        )
    }
}
