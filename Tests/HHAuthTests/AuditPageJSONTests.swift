import Foundation
import GRDB
import HTTPCore
import Testing

@testable import HHAuth

/// The audit page is written by hand from the statement's columns (``AuditEventJSON``): every page
/// the API can send is held to the bytes `JSONCoding.encoder` gives for the same page of
/// ``StoredAuditEvent``s (the library path), filtered or not, empty or not.
@Suite("Audit pages written by hand")
struct AuditPageJSONTests {
    let clock = ManualClock()
    let store: TestDatabase
    let services: DomainServices

    /// Metadata with everything JSON escapes or passes through: quotes, backslashes, controls,
    /// slashes, Cyrillic, combining marks, emoji, U+2028, numbers at both ends of Int64.
    static let metadata: [[String: AuditValue]] = [
        [:],
        ["ip": "203.0.113.7", "reason": "not_whitelisted", "user_agent": "Mozilla/5.0 \"x\"\n\t\\ </script>"],
        ["count": 2, "name": "Иван 🙂 и\u{306}", "path": "a/b"],
        [
            "controls": .string((0..<32).map { String(UnicodeScalar(UInt8($0))) }.joined()),
            "separators": "\u{7F}\u{85}\u{2028}\u{2029}",
        ],
        ["big": .integer(Int64.max), "negative": -42, "small": .integer(Int64.min)],
    ]
    static let types: [AuditEventType] = [
        .login, .loginFailed, .tokenRefreshFailed, AuditEventType(rawValue: "odd \"type\"\\ тип\u{1}"),
    ]

    /// 20 events, some without a user, some in the same second, fractions of seconds everywhere.
    init() throws {
        store = try TestDatabase()
        services = DomainServices(database: store.database, vault: TokenVault(current: Fixtures.key()), clock: clock)
        for index in 0..<20 {
            clock.advance(seconds: index % 3 == 0 ? 0.25 : 59.999_999)
            let event = AuditEvent(
                Self.types[index % Self.types.count], userID: index % 4 == 0 ? nil : Int64(index % 3),
                metadata: Self.metadata[index % Self.metadata.count])
            _ = try services.database.write { db in try services.audit.record(event, in: db) }
        }
    }

    /// The page both ways: the JSON written from the rows, and the encoder's bytes for the
    /// ``StoredAuditEvent``s of the same page, with both totals.
    private func bothWays(_ filter: AuditFilter, limit: Int, offset: Int) throws -> (
        written: String, encoded: String, writtenTotal: Int, total: Int, count: Int, ids: [Int64]
    ) {
        var json: [UInt8] = []
        let writtenTotal = try services.database.read { db in
            try AuditQuery().appendPageJSON(filter, limit: limit, offset: offset, in: db, to: &json)
        }
        let page = try services.database.read { db in
            try AuditQuery().page(filter, limit: limit, offset: offset, in: db)
        }
        return (
            String(decoding: json, as: UTF8.self),
            String(decoding: try JSONCoding.encoder.encode(page.events), as: UTF8.self), writtenTotal, page.total,
            page.events.count, page.events.map(\.id)
        )
    }

    static let pages: [(filter: AuditFilter, limit: Int, offset: Int, count: Int)] = [
        (AuditFilter(), 100, 0, 20),
        (AuditFilter(), 3, 0, 3),
        (AuditFilter(), 3, 18, 2),
        (AuditFilter(), 1, 19, 1),
        (AuditFilter(), 10, 20, 0),
        (AuditFilter(), 10, 1_000_000, 0),
        (AuditFilter(eventType: "login"), 2, 1, 2),
        (AuditFilter(eventType: "odd \"type\"\\ тип\u{1}"), 100, 0, 5),
        (AuditFilter(eventType: "logout"), 10, 0, 0),
        (AuditFilter(userID: 1), 100, 0, 5),
        (AuditFilter(userID: 2), 2, 4, 1),
        (
            AuditFilter(
                since: Date(timeIntervalSince1970: 1_750_000_100), until: Date(timeIntervalSince1970: 1_750_000_600)),
            100, 0, 12
        ),
        (
            AuditFilter(eventType: "login_failed", userID: 1, since: Date(timeIntervalSince1970: 1_750_000_000)), 100,
            0, 2
        ),
        (AuditFilter(since: Date(timeIntervalSince1970: 2_000_000_000)), 100, 0, 0),
    ]

    @Test(arguments: pages.indices)
    func everyPageMatchesTheEncoder(index: Int) throws {
        let (filter, limit, offset, count) = Self.pages[index]
        let page = try bothWays(filter, limit: limit, offset: offset)
        #expect(page.count == count, "the page should hold \(count) events")
        #expect(page.written == page.encoded)
        // Which events and what total, against a reference that shares no SQL with either path:
        // every row read in id order and filtered here.
        let expected = try reference(filter, limit: limit, offset: offset)
        #expect(page.ids == expected.ids)
        #expect(page.writtenTotal == expected.total)
        #expect(page.total == expected.total)
    }

    /// The page by brute force: all rows newest first, the filter applied in Swift.
    private func reference(_ filter: AuditFilter, limit: Int, offset: Int) throws -> (ids: [Int64], total: Int) {
        let rows = try services.database.read { db in
            try Row.fetchAll(db, sql: "SELECT id, event_type, user_id, created_at FROM audit_events ORDER BY id DESC")
        }
        let matching = rows.filter { row in
            let createdAt: Double = row[3]
            return (filter.eventType.map { $0 == row[1] as String } ?? true)
                && (filter.userID.map { $0 == row[2] as Int64? } ?? true)
                && (filter.since.map { createdAt >= $0.timeIntervalSince1970 } ?? true)
                && (filter.until.map { createdAt < $0.timeIntervalSince1970 } ?? true)
        }
        return (matching.dropFirst(offset).prefix(limit).map { $0[0] as Int64 }, matching.count)
    }

    /// The whole answer of `GET /admin/audit-log`, the envelope included, is the encoder's.
    @Test func theAnswerMatchesTheEncoder() throws {
        struct Answer: Encodable {
            let events: [StoredAuditEvent]
            let limit: Int
            let offset: Int
            let total: Int
        }
        let harness = try GatewayHarness()
        for index in 0..<7 {
            harness.clock.advance(seconds: 1.5)
            let event = AuditEvent(
                Self.types[index % Self.types.count], userID: index % 2 == 0 ? nil : 7,
                metadata: Self.metadata[index % Self.metadata.count])
            _ = try harness.database.write { db in try harness.gateway.services.audit.record(event, in: db) }
        }
        let basic = "Basic " + Data("admin:admin".utf8).base64EncodedString()
        for (query, filter, limit, offset) in [
            ("", AuditFilter(), 100, 0), ("limit=3&offset=2", AuditFilter(), 3, 2),
            ("offset=100", AuditFilter(), 100, 100), ("user_id=7&limit=2", AuditFilter(userID: 7), 2, 0),
            ("event_type=login_failed", AuditFilter(eventType: "login_failed"), 100, 0),
        ] {
            let response = harness.send("GET", "/admin/audit-log?" + query, headers: ["Authorization": basic])
            #expect(response.status == 200)
            let page = try harness.database.read { db in
                try AuditQuery().page(filter, limit: limit, offset: offset, in: db)
            }
            let answer = Answer(events: page.events, limit: limit, offset: offset, total: page.total)
            #expect(response.text == String(decoding: try JSONCoding.encoder.encode(answer), as: UTF8.self), "\(query)")
        }
    }

    /// Rows written behind our back (invalid UTF-8, a NUL, times outside 1970...9999 or a hair
    /// below a whole second) are read as before: as GRDB's `String` and ``StoredAuditEvent`` read
    /// them, written the way the previous writer did.
    @Test func oddRowsAreWrittenAsTheyWereBefore() throws {
        let rows: [(type: [UInt8], metadata: [UInt8], createdAt: Double)] = [
            (Array("login".utf8), [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D], 1_750_000_000.5),
            (Array("login".utf8), Array(#"{"a":"x"#.utf8) + [0] + Array(#"y"}"#.utf8), 1_750_000_001),
            ([0x6C, 0xC0, 0xAF, 0x6E], Array(#"{"b":"\#u{10FFFF}"}"#.utf8), 4.999_999_999_9),
            ([0x61, 0xED, 0xA0, 0x80], [0x7B, 0xF4, 0x90, 0x80, 0x80, 0x7D], -86_400.5),
            (Array("a".utf8) + [0] + Array("b".utf8), [0x7B, 0xE0, 0x80, 0x7D], 253_402_300_800.25),
            (Array("login".utf8), [0x7B, 0xF0, 0x9F, 0x99, 0x82, 0xE2, 0x82], 1_750_000_002),
        ]
        try store.database.write { db in
            for (offset, row) in rows.enumerated() {
                try db.execute(
                    sql: """
                        INSERT INTO audit_events (id, event_type, user_id, metadata, created_at, hash)
                        VALUES (?, CAST(? AS TEXT), NULL, CAST(? AS TEXT), ?, 'x')
                        """,
                    arguments: [100 + offset, Data(row.type), Data(row.metadata), row.createdAt])
            }
        }
        let page = try store.database.read { db in try AuditQuery().page(AuditFilter(), limit: 6, offset: 0, in: db) }
        var json: [UInt8] = []
        _ = try store.database.read { db in
            try AuditQuery().appendPageJSON(AuditFilter(), limit: 6, offset: 0, in: db, to: &json)
        }
        #expect(page.events.count == 6)
        #expect(json == Self.previousWriter(page.events))
    }

    /// A time no `Int64` holds (written behind the service's back) gives a page, not a trapped
    /// worker: one such row would otherwise take the audit trail's page down for the admin.
    @Test func timesBeyondInt64DoNotTrap() throws {
        try store.database.write { db in
            for (offset, createdAt) in [1e300, -1e300, Double.infinity, -1e13].enumerated() {
                try db.execute(
                    sql: """
                        INSERT INTO audit_events (id, event_type, user_id, metadata, created_at, hash)
                        VALUES (?, 'garbage_time', NULL, '{}', ?, 'x')
                        """,
                    arguments: [200 + offset, createdAt])
            }
        }
        var json: [UInt8] = []
        let total = try store.database.read { db in
            try AuditQuery().appendPageJSON(
                AuditFilter(eventType: "garbage_time"), limit: 10, offset: 0, in: db, to: &json)
        }
        #expect(total == 4)
        let parsed = try JSONSerialization.jsonObject(with: Data(json))
        #expect((parsed as? [Any])?.count == 4)
    }

    /// The canonical rows, as ``AuditLog`` writes them: the previous writer gave the encoder's bytes
    /// too, so the odd rows above are held to the same writer the encoder was.
    @Test func thePreviousWriterMatchedTheEncoder() throws {
        let page = try services.database.read { db in
            try AuditQuery().page(AuditFilter(), limit: 100, offset: 0, in: db)
        }
        #expect(page.events.count == 20)
        #expect(Self.previousWriter(page.events) == Array(try JSONCoding.encoder.encode(page.events)))
    }

    /// What the page writer was before it read the columns itself (`StoredAuditEvent.appendJSON`).
    static func previousWriter(_ events: [StoredAuditEvent]) -> [UInt8] {
        var buffer = Array("[".utf8)
        for (index, event) in events.enumerated() {
            if index > 0 { buffer += Array(",".utf8) }
            let time = JSONText.timestamp(unixSeconds: Int64(event.createdAt.timeIntervalSince1970.rounded(.down)))
            buffer += Array("{\"created_at\":\"\(time)\",\"event_metadata\":".utf8)
            buffer += Array(event.metadataJSON.utf8)
            buffer += Array(",\"event_type\":".utf8)
            JSONText.appendString(event.eventType, to: &buffer)
            buffer += Array(",\"id\":\(event.id),\"user_id\":\(event.userID.map(String.init) ?? "null")}".utf8)
        }
        return buffer + Array("]".utf8)
    }

    /// The check that lets stored text through uncopied agrees with the standard library's UTF-8
    /// validation (and refuses a NUL), on the edge cases and on random bytes.
    @Test func plainUTF8IsWhatTheStandardLibraryValidates() {
        var cases: [[UInt8]] = [
            [], Array("plain ascii, longer than eight bytes".utf8), [0], Array("12345678".utf8) + [0],
            Array("Иван 🙂".utf8), [0xC2, 0x80], [0xC1, 0xBF], [0xC0, 0x80], [0xE0, 0x9F, 0xBF], [0xE0, 0xA0, 0x80],
            [0xED, 0x9F, 0xBF], [0xED, 0xA0, 0x80], [0xEF, 0xBF, 0xBF], [0xF0, 0x8F, 0xBF, 0xBF],
            [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80],
            [0xFF], [0x80], [0xE2, 0x82], Array("1234567".utf8) + [0xE2, 0x82, 0xAC], [0xE2, 0x82, 0x41],
        ]
        let pool: [UInt8] = [
            0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE,
            0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF,
        ]
        var random = SeededGenerator(seed: 15)
        for _ in 0..<5000 {
            let count = Int(random.next() % 24)
            cases.append(
                (0..<count).map { _ in
                    random.next() % 3 == 0 ? pool[Int(random.next() % UInt64(pool.count))] : 0x61
                })
        }
        for bytes in cases {
            let expected = String(validating: bytes, as: UTF8.self) != nil && !bytes.contains(0)
            let checked = bytes.withUnsafeBufferPointer { AuditEventJSON.isPlainUTF8($0) }
            #expect(checked == expected, "\(bytes)")
        }
    }
}

/// SplitMix64: a seeded generator, so a failing random case comes back on the next run.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}
