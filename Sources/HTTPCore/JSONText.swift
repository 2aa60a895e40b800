#if canImport(Glibc)
    import Glibc
#endif

/// The pieces of JSON text the hand-written writers share (``JSONObjectWriter``, audit pages and
/// exports), each exactly as ``JSONCoding/encoder`` writes it.
public enum JSONText {
    /// A JSON string: RFC 8259 escaping of the quote, the backslash and the C0 controls (the short
    /// forms where JSON has them); everything else as its UTF-8, slashes unescaped.
    public static func appendString(_ text: String, to buffer: inout [UInt8]) {
        var text = text
        text.withUTF8 { appendString(utf8: $0, to: &buffer) }
    }

    /// ``appendString(_:to:)`` for text that is already UTF-8 bytes (a column of a statement, say),
    /// so no `String` is made for it. The bytes must be valid UTF-8. Runs that need no escaping
    /// (usually the whole text) are copied at once, not byte by byte.
    public static func appendString(utf8 text: UnsafeBufferPointer<UInt8>, to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\""))
        var run = 0
        for (index, byte) in text.enumerated()
        where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: text[run..<index]))
            run = index + 1
            switch byte {
            case UInt8(ascii: "\""): buffer += #"\""#.utf8
            case UInt8(ascii: "\\"): buffer += #"\\"#.utf8
            case 0x0A: buffer += #"\n"#.utf8
            case 0x0D: buffer += #"\r"#.utf8
            case 0x09: buffer += #"\t"#.utf8
            case 0x08: buffer += #"\b"#.utf8
            case 0x0C: buffer += #"\f"#.utf8
            default:
                buffer += #"\u00"#.utf8
                buffer.append(hexDigits[Int(byte >> 4)])
                buffer.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        buffer.append(contentsOf: UnsafeBufferPointer(rebasing: text[run...]))
        buffer.append(UInt8(ascii: "\""))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// A whole number in decimal, the bytes of `String(value)`, without making that `String`.
    public static func appendInteger(_ value: Int64, to buffer: inout [UInt8]) {
        if value < 0 { buffer.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = 20
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude != 0
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start..<20]))
        }
    }

    /// Whole seconds of a Unix time, for any double: floored, and clamped where no `Int64` holds
    /// it (an infinity, 1e300, NaN as 0). Times come from rows a person may have written behind the
    /// service's back; converting one with `Int64(_:)` would trap the worker (or the CLI) on it.
    public static func wholeSeconds(_ time: Double) -> Int64 {
        let floored = time.rounded(.down)
        if let exact = Int64(exactly: floored) { return exact }
        if floored.isNaN { return 0 }
        return floored < 0 ? .min : .max
    }

    /// `2026-11-23T17:18:58Z`, as the encoder's `.iso8601` dates: UTC, whole seconds.
    ///
    /// By hand because `ISO8601DateFormatter` builds an ICU formatter on every call on Linux:
    /// profiled at a quarter of an audit page.
    public static func timestamp(unixSeconds: Int64) -> String {
        String(unsafeUninitializedCapacity: 20) { out in writeTimestamp(unixSeconds: unixSeconds, into: out) }
    }

    /// ``timestamp(unixSeconds:)``'s 20 bytes appended, without making the `String`.
    public static func appendTimestamp(unixSeconds: Int64, to buffer: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { out in
            let count = writeTimestamp(unixSeconds: unixSeconds, into: out)
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: out[0..<count]))
        }
    }

    /// The last second of year 9999: up to it the date is computed here; past it (or before 1970)
    /// `gmtime_r` decides, as it always did.
    static let civilRange: ClosedRange<Int64> = 0...253_402_300_799

    /// Writes the timestamp into `out` (room for 20 bytes) and returns how many bytes it wrote.
    ///
    /// From 1970 to 9999 the calendar date comes from arithmetic on the day number (the
    /// proleptic Gregorian calendar, as `gmtime_r` has it): `gmtime_r` itself cost a thousand
    /// instructions a call, 100,000 an audit page of events seconds apart. Tests hold the two equal.
    private static func writeTimestamp(unixSeconds: Int64, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        guard civilRange.contains(unixSeconds) else { return writeGmtimeTimestamp(unixSeconds: unixSeconds, into: out) }
        let days = unixSeconds / 86_400
        let secondOfDay = Int(unixSeconds % 86_400)
        let date = civilDate(daysSince1970: Int(days))
        return writeParts(
            year: date.year, month: date.month, day: date.day, hour: secondOfDay / 3600,
            minute: secondOfDay / 60 % 60, second: secondOfDay % 60, into: out)
    }

    /// Year, month and day of a day number counted from 1970-01-01 (not negative): Howard
    /// Hinnant's `civil_from_days`, in 400-year eras of 146,097 days starting on a March 1st.
    static func civilDate(daysSince1970 days: Int) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468  // days from 0000-03-01
        let era = shifted / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Through `gmtime_r`: what every timestamp was written with before, kept for times outside
    /// ``civilRange`` and as the tests' reference.
    static func writeGmtimeTimestamp(unixSeconds: Int64, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var seconds = time_t(unixSeconds)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return writeParts(
            year: Int(parts.tm_year) + 1900, month: Int(parts.tm_mon) + 1, day: Int(parts.tm_mday),
            hour: Int(parts.tm_hour), minute: Int(parts.tm_min), second: Int(parts.tm_sec), into: out)
    }

    /// `YYYY-MM-DDThh:mm:ssZ` into `out`: each field's last digits (the year's last four), as
    /// the writer always did. Returns 20.
    private static func writeParts(
        year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int,
        into out: UnsafeMutableBufferPointer<UInt8>
    ) -> Int {
        // Magnitudes: a year before 0 (a garbage row through `gmtime_r`) must not trap.
        func digit(_ value: Int) -> UInt8 { UInt8(ascii: "0") + UInt8(value.magnitude % 10) }
        out[0] = digit(year / 1000)
        out[1] = digit(year / 100)
        out[2] = digit(year / 10)
        out[3] = digit(year)
        out[4] = UInt8(ascii: "-")
        out[5] = digit(month / 10)
        out[6] = digit(month)
        out[7] = UInt8(ascii: "-")
        out[8] = digit(day / 10)
        out[9] = digit(day)
        out[10] = UInt8(ascii: "T")
        out[11] = digit(hour / 10)
        out[12] = digit(hour)
        out[13] = UInt8(ascii: ":")
        out[14] = digit(minute / 10)
        out[15] = digit(minute)
        out[16] = UInt8(ascii: ":")
        out[17] = digit(second / 10)
        out[18] = digit(second)
        out[19] = UInt8(ascii: "Z")
        return 20
    }
}
