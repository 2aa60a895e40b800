import Testing

@testable import HTTPCore

/// The one-field fast path for `{"session_id": …}`: it answers only where `JSONDecoder` answers the
/// same value, and leaves every other body to `JSONCoding.decodeObject`.
@Suite("JSONCoding.plainStringField")
struct JSONPlainFieldTests {
    private struct SessionBody: Decodable { let session_id: String }

    private func plain(_ text: String) -> String? {
        JSONCoding.plainStringField("session_id", in: Array(text.utf8))
    }

    /// What the library path makes of the same bytes: the value, or nil for an error.
    private func library(_ bytes: [UInt8]) -> String? {
        try? JSONCoding.decodeObject(SessionBody.self, from: bytes).session_id
    }

    @Test(arguments: [
        (#"{"session_id":"abc"}"#, "abc"),
        (#"{"session_id": "Zx-_9.~!#$%&'()*+,/:;<=>?@[]^`{|}"}"#, "Zx-_9.~!#$%&'()*+,/:;<=>?@[]^`{|}"),
        (" \t\r\n{ \"session_id\" :\t\"a b\" }\n", "a b"),
        (#"{"session_id":""}"#, ""),
    ])
    func answersThePlainSpelling(body: String, expected: String) {
        #expect(plain(body) == expected)
        #expect(library(Array(body.utf8)) == expected)
    }

    @Test(arguments: [
        #"{"session_id":"a\"b"}"#,  // an escape
        #"{"session_id":"a\u0041"}"#,
        #"{"session\u005fid":"a"}"#,  // the key escaped
        #"{"session_id":"Иван"}"#,  // not ASCII
        "{\"session_id\":\"a\u{7F}\"}",  // DEL
        "{\"session_id\":\"a\tb\"}",  // a raw control byte (the decoder refuses it)
        #"{"session_id":"a","session_id":"b"}"#,  // a second key
        #"{"session_id":"a","other":1}"#,
        #"{"other":"a"}"#,
        #"{"session_idx":"a"}"#,
        #"{"session_i":"a"}"#,
        #"{"session_id":1}"#,
        #"{"session_id":null}"#,
        #"{"session_id":["a"]}"#,
        #"{"session_id":"a"}x"#,  // trailing bytes
        #"{"session_id":"a"},"#,
        #"{"session_id":"a",}"#,
        #"{"session_id":"a""#,  // unterminated
        #"{"session_id":"a"#,
        #"{"session_id" "a"}"#,
        #"["session_id","a"]"#,
        "",
        "\u{FEFF}{\"session_id\":\"a\"}",  // a byte-order mark
        "{\"session_id\":\"a\"}\u{0}",
    ])
    func leavesEverythingElseToTheDecoder(body: String) {
        #expect(plain(body) == nil)
    }

    /// Mutations of a plain body, a byte at a time from JSON's own alphabet, thousands of times:
    /// whenever the fast path answers, the library path answers the same.
    @Test func agreesWithTheDecoderOnMutatedBodies() {
        var random = SeededGenerator(seed: 0x15_2026)
        let alphabet =
            Array(#"{}[]":,\ "tnul0123456789.-+eE/abcsion_dxé"#.utf8) + [0x00, 0x09, 0x0A, 0x0D, 0x7F, 0xC3, 0xFF]
        let seed = Array(#"{"session_id":"Abc-_123"}"#.utf8)
        var answered = 0
        for _ in 0..<20_000 {
            var body = seed
            for _ in 0..<(1 + Int(random.next() % 3)) {
                let position = Int(random.next() % UInt64(body.count + 1))
                let byte = alphabet[Int(random.next() % UInt64(alphabet.count))]
                switch random.next() % 3 {
                case 0 where position < body.count: body[position] = byte
                case 1 where position < body.count: body.remove(at: position)
                default: body.insert(byte, at: position)
                }
            }
            guard let value = JSONCoding.plainStringField("session_id", in: body) else { continue }
            answered += 1
            #expect(library(body) == value, "body \(String(decoding: body, as: UTF8.self).debugDescription)")
        }
        // The property is not vacuous: many mutants keep the plain spelling (whitespace, value bytes).
        #expect(answered > 1_000)
    }
}
