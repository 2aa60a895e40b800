import Foundation
import Testing

@testable import HTTPCore

/// The pieces ``JSONText`` writes without making a `String`: the same bytes as the ways they
/// replace (`gmtime_r`, `String(Int64)`).
@Suite("JSONText")
struct JSONTextTests {
    /// Through `gmtime_r`, as every timestamp was written before the calendar arithmetic.
    private static func gmtimeTimestamp(_ seconds: Int64) -> String {
        String(unsafeUninitializedCapacity: 20) { JSONText.writeGmtimeTimestamp(unixSeconds: seconds, into: $0) }
    }

    @Test func wholeSecondsFloorAndClampWhatNoInt64Holds() {
        #expect(JSONText.wholeSeconds(1_750_000_000.9) == 1_750_000_000)
        #expect(JSONText.wholeSeconds(-0.5) == -1)
        #expect(JSONText.wholeSeconds(1e300) == .max && JSONText.wholeSeconds(.infinity) == .max)
        #expect(JSONText.wholeSeconds(-1e300) == .min && JSONText.wholeSeconds(-.infinity) == .min)
        #expect(JSONText.wholeSeconds(.nan) == 0)
        // And a writer handed such a date writes a timestamp instead of trapping.
        var writer = JSONObjectWriter()
        writer.add("at", Date(timeIntervalSince1970: 1e300))
        #expect(writer.finish().count == #"{"at":"YYYY-MM-DDThh:mm:ssZ"}"#.utf8.count)
    }

    private static func appended(_ seconds: Int64) -> String {
        var buffer = Array("x".utf8)
        JSONText.appendTimestamp(unixSeconds: seconds, to: &buffer)
        return String(decoding: buffer.dropFirst(), as: UTF8.self)
    }

    /// Day boundaries, leap days (2000 is a leap year, 1900 and 2100 are not), the ends of the
    /// range and just outside it, then random seconds all over 1970...9999.
    @Test func timestampsAreGmtimes() {
        var seconds: [Int64] = [
            0, 59, 86_399, 86_400, 951_782_399, 951_782_400, 951_868_800, 1_795_000_000, 4_107_456_000,
            4_107_542_400, 253_402_300_799, 253_402_300_800, -1, -86_400, 68_256_000_000,
        ]
        var generator = SeededGenerator(seed: 15)
        for _ in 0..<20_000 { seconds.append(Int64.random(in: JSONText.civilRange, using: &generator)) }
        for _ in 0..<2_000 { seconds.append(Int64.random(in: 1_700_000_000...1_900_000_000, using: &generator)) }
        for second in seconds {
            let expected = Self.gmtimeTimestamp(second)
            #expect(JSONText.timestamp(unixSeconds: second) == expected, "\(second)")
            #expect(Self.appended(second) == expected, "\(second)")
        }
        #expect(JSONText.timestamp(unixSeconds: 1_795_000_000) == "2026-11-18T11:06:40Z")
    }

    @Test func integersAreStringsOfThem() {
        var values: [Int64] = [0, 1, -1, 9, 10, -10, 99, 100, Int64.max, Int64.min, Int64.min + 1, 1_000_000_000]
        var generator = SeededGenerator(seed: 15)
        for _ in 0..<2_000 { values.append(Int64.random(in: Int64.min...Int64.max, using: &generator)) }
        for _ in 0..<2_000 { values.append(Int64.random(in: -100_000...100_000, using: &generator)) }
        for value in values {
            var buffer = Array("[".utf8)
            JSONText.appendInteger(value, to: &buffer)
            #expect(buffer == Array("[\(value)".utf8))
        }
    }

    /// The byte version is the one the `String` version uses; both escape the same.
    @Test func stringsFromBytesAreEscapedLikeStrings() throws {
        for text in JSONObjectWriterTests.texts {
            var fromBytes: [UInt8] = []
            Array(text.utf8).withUnsafeBufferPointer { JSONText.appendString(utf8: $0, to: &fromBytes) }
            #expect(fromBytes == Array(try JSONCoding.encoder.encode(text)))
        }
    }
}

/// SplitMix64: a seeded generator, so a failing random case can be run again.
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
