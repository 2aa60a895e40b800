import Foundation
import GRDB
import HTTPCore
import Testing

@testable import HHAuth

/// The answers HHAuth writes by hand (``JSONObjectWriter``, ``JSONText``) are the bytes the shared
/// encoder would send; HTTPCoreTests' `JSONObjectWriterTests` checks the writer itself.
@Suite("Hand-written JSON answers")
struct HandWrittenJSONTests {
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

    /// `/health`, healthy (no `detail` key) and not.
    @Test func healthAnswersMatchTheEncoder() throws {
        for healthy in [true, false] {
            for date in [Date(timeIntervalSince1970: 1_795_000_000.75), Date(timeIntervalSince1970: 0)] {
                let reference = HealthHandlers.Health(
                    status: healthy ? "healthy" : "unhealthy", version: HHAuthVersion.current,
                    timestamp: date.wholeSeconds, detail: healthy ? nil : "Database is not readable")
                #expect(
                    HealthHandlers.healthJSON(healthy: healthy, timestamp: date)
                        == Array(try JSONCoding.encoder.encode(reference)))
            }
        }
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
