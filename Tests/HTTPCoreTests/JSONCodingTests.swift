import Foundation
import Testing

@testable import HTTPCore

private struct Body: Decodable, Equatable {
    let name: String
    let count: Int
    let enabled: Bool?
}

@Suite("JSONCoding.decodeObject")
struct JSONCodingTests {
    private func decode(_ bytes: [UInt8]) -> Result<Body, HTTPError> {
        Result { () throws(HTTPError) -> Body in try JSONCoding.decodeObject(Body.self, from: bytes) }
    }

    private func decode(_ text: String) -> Result<Body, HTTPError> { decode(Array(text.utf8)) }

    private func failure(_ result: Result<Body, HTTPError>) -> HTTPError? {
        if case .failure(let error) = result { return error }
        return nil
    }

    @Test func decodesAnObject() throws {
        let body = try decode(#"  {"name":"Иван 🎉","count":3,"enabled":true}"#).get()
        #expect(body == Body(name: "Иван 🎉", count: 3, enabled: true))
    }

    @Test(arguments: [
        "", "   ", "[]", "[1,2]", "\"text\"", "42", "null", "true", "{", "{\"name\":", "{name: 1}", "<xml/>",
        "name=x&count=1", "{\"name\":\"x\",\"count\":1}}",
    ])
    func nonObjectOrMalformedBodyIs400(text: String) {
        let error = failure(decode(text))
        #expect(error == HTTPError(400, "Request body must be a JSON object"))
    }

    @Test func invalidUTF8Is400() {
        let bytes = Array(#"{"name":""#.utf8) + [0xFF, 0xFE, 0xC3] + Array(#"","count":1}"#.utf8)
        #expect(failure(decode(bytes)) == HTTPError(400, "Request body must be a JSON object"))
    }

    @Test func missingFieldIs422NamingIt() throws {
        let error = try #require(failure(decode(#"{"count":1}"#)))
        #expect(error.status == 422)
        #expect(error.detail.contains("name"))
        let other = try #require(self.failure(decode(#"{"name":"x"}"#)))
        #expect(other.status == 422)
        #expect(other.detail.contains("count"))
    }

    @Test func nullForARequiredFieldIs422NamingIt() throws {
        let error = try #require(failure(decode(#"{"name":null,"count":1}"#)))
        #expect(error.status == 422)
        #expect(error.detail.contains("name"))
    }

    @Test func aValueWhereAListBelongsIs422SayingSo() throws {
        struct Tagged: Decodable { let tags: [String]? }
        let result = Result { () throws(HTTPError) -> Tagged in
            try JSONCoding.decodeObject(Tagged.self, from: Array(#"{"tags":"ops"}"#.utf8))
        }
        guard case .failure(let error) = result else {
            Issue.record("decoded a string as a list")
            return
        }
        #expect(error == HTTPError(422, "Field 'tags' must be a list"))
    }

    @Test func wrongTypeIs422NamingTheField() throws {
        let error = try #require(failure(decode(#"{"name":12,"count":1}"#)))
        #expect(error.status == 422)
        #expect(error.detail.contains("name"))
        let count = try #require(self.failure(decode(#"{"name":"x","count":"many"}"#)))
        #expect(count.status == 422)
        #expect(count.detail.contains("count"))
        let flag = try #require(self.failure(decode(#"{"name":"x","count":1,"enabled":"yes"}"#)))
        #expect(flag.status == 422)
        #expect(flag.detail.contains("enabled"))
    }

    @Test func deeplyNestedArraysAre400WithoutACrash() {
        let arrays = String(repeating: "[", count: 10_000)
        #expect(failure(decode(arrays)) == HTTPError(400, "Request body must be a JSON object"))
        let inObject =
            "{\"name\":" + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "}"
        #expect(failure(decode(inObject))?.status == 400)
        let objects = String(repeating: "{\"a\":", count: 10_000) + "1" + String(repeating: "}", count: 10_000)
        #expect(failure(decode(objects))?.status == 400)
    }

    @Test func encoderWritesRFC3339UTCAndKeepsSlashesAndCyrillic() throws {
        struct Out: Encodable {
            let at: Date
            let url: String
            let name: String
        }
        let data = try JSONCoding.encoder.encode(
            Out(at: Date(timeIntervalSince1970: 1_736_503_200), url: "https://a/b", name: "Пётр"))
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(#""2025-01-10T10:00:00Z""#))
        #expect(text.contains(#""https://a/b""#))
        #expect(text.contains("Пётр"))
    }
}
