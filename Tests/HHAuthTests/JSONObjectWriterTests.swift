import Foundation
import GRDB
import Testing

@testable import HHAuth

@Suite("JSONObjectWriter")
struct JSONObjectWriterTests {
    private struct Sample: Encodable {
        let a_text: String
        let b_missing: String?
        let c_number: Int64
        let d_flag: Bool
        let e_date: Date

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(a_text, forKey: .a_text)
            try container.encode(b_missing, forKey: .b_missing)
            try container.encode(c_number, forKey: .c_number)
            try container.encode(d_flag, forKey: .d_flag)
            try container.encode(e_date, forKey: .e_date)
        }

        enum CodingKeys: CodingKey { case a_text, b_missing, c_number, d_flag, e_date }

        var written: [UInt8] {
            var writer = JSONObjectWriter()
            writer.add("a_text", a_text)
            writer.add("b_missing", b_missing)
            writer.add("c_number", c_number)
            writer.add("d_flag", d_flag)
            writer.add("e_date", e_date)
            return writer.finish()
        }
    }

    static let texts: [String] =
        [
            "", "plain", "Иван Петров", "🙂 и\u{306}", "a/b", "quote\" back\\slash", "\u{7F}", "\u{2028}\u{2029}",
            "\u{85}",
        ]
        + (0..<32).map { String(UnicodeScalar(UInt8($0))) + "x" }

    @Test(arguments: texts)
    func bytesMatchTheSharedEncoder(text: String) throws {
        let dates = [
            Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 1_795_000_000),
            Date(timeIntervalSince1970: 253_402_300_799),
        ]
        for (index, date) in dates.enumerated() {
            let sample = Sample(
                a_text: text, b_missing: index == 1 ? text : nil, c_number: [0, -42, Int64.max][index],
                d_flag: index == 1,
                e_date: date)
            let expected = Array(try JSONCoding.encoder.encode(sample))
            #expect(sample.written == expected, "\(String(decoding: sample.written, as: UTF8.self))")
        }
    }

    @Test func fractionsOfASecondAreDroppedLikeTheEncoderDoes() throws {
        let sample = Sample(
            a_text: "", b_missing: nil, c_number: 1, d_flag: true, e_date: Date(timeIntervalSince1970: 1_795_000_000.75)
        )
        #expect(sample.written == Array(try JSONCoding.encoder.encode(sample)))
    }

    /// The two session answers written by hand are the bytes the shared encoder would send.
    @Test func sessionAnswersMatchTheEncoder() throws {
        let date = Date(timeIntervalSince1970: 1_795_000_000)
        for email in ["ivan@example.com", nil] {
            let user = User(
                id: 7, hhUserID: "1001", email: email, fullName: "Иван \"Ваня\" Петров", isActive: true,
                createdAt: date,
                updatedAt: date.addingTimeInterval(60))
            #expect(SessionHandlers.userJSON(user) == Array(try JSONCoding.encoder.encode(user)))
        }
        struct TokenAnswer: Encodable {
            let access_token: String
            let token_type = "Bearer"
            let expires_at: Date
        }
        let grant = AccessGrant(accessToken: "USERA1b/2+c\u{1}", expiresAt: date.addingTimeInterval(0.5))
        #expect(
            SessionHandlers.tokenJSON(grant)
                == Array(try JSONCoding.encoder.encode(TokenAnswer(access_token: grant.accessToken, expires_at: date))))
    }

    /// Audit pages are written by hand too (the stored metadata copied through): the same bytes
    /// the encoder gives for the event.
    @Test func auditEventsMatchTheEncoder() throws {
        for (userID, metadata) in [
            (
                Int64(5) as Int64?,
                #"{"ip":"203.0.113.7","reason":"not_whitelisted","user_agent":"Mozilla/5.0 \"x\"\n"}"#
            ),
            (nil, #"{"count":2,"name":"Иван"}"#),
        ] {
            let row = try #require(
                try DatabaseQueue().read { db in
                    try Row.fetchOne(
                        db, sql: "SELECT 42, 'login_failed', ?, ?, 1795000000.25", arguments: [userID, metadata])
                })
            let event = StoredAuditEvent(selected: row)
            var buffer: [UInt8] = []
            var timestamps = TimestampCache()
            event.appendJSON(to: &buffer, timestamps: &timestamps)
            #expect(
                String(decoding: buffer, as: UTF8.self)
                    == String(decoding: try JSONCoding.encoder.encode(event), as: UTF8.self))
        }
    }
}
