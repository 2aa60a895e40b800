import Foundation
import Testing

@testable import HTTPCore

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
            "\u{85}", "runs\u{0}between\nescapes\"", "\\", "ends with a control\u{1F}", "\"\"",
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
}
