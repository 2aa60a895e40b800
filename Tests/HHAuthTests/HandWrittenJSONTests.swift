import Foundation
import HTTPCore
import Testing

@testable import HHAuth

/// The answers HHAuth writes by hand (``JSONObjectWriter``, ``JSONText``) are the bytes the shared
/// encoder would send; HTTPCoreTests' `JSONObjectWriterTests` checks the writer itself, and
/// `AuditPageJSONTests` the audit pages.
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
}
