import HTTPCore
import Logging

extension StderrLogHandler {
    /// `LOG_FORMAT=json`: the text line's fields as one JSON object and a newline,
    /// `{"timestamp":…,"level":…,"label":…,"message":…,<metadata keys, sorted>}`.
    ///
    /// Built like ``line(timestamp:level:label:metadata:message:)``: bytes appended to one buffer.
    /// Strings are escaped as ``JSONText`` does it (RFC 8259: the quote, the backslash and every
    /// control character; other text, non-ASCII included, as its UTF-8); one that needs no escape,
    /// the usual case, is copied whole. A request line costs about 9,500 instructions against the
    /// text line's 7,100 (callgrind, `-O`): every byte must be looked at. Metadata values are JSON
    /// strings, lists and objects as swift-log holds them. A metadata key named like one of the four
    /// fields is written as `metadata_<key>`, so no key appears twice.
    static func jsonLine(
        timestamp: String, level: Logger.Level, label: String, metadata: Logger.Metadata, message: String
    ) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(256)
        line += #"{"timestamp":"#.utf8
        appendString(timestamp, to: &line)
        line += #","level":"#.utf8
        appendString(level.rawValue, to: &line)
        line += #","label":"#.utf8
        appendString(label, to: &line)
        line += #","message":"#.utf8
        appendString(message, to: &line)
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            line.append(UInt8(ascii: ","))
            appendString(isFieldName(key) ? "metadata_" + key : key, to: &line)
            line.append(UInt8(ascii: ":"))
            if case .string(let text) = value {
                appendString(text, to: &line)
            } else {
                appendJSON(value, to: &line)
            }
        }
        line += "}\n".utf8
        return line
    }

    /// By length first: a handful of short keys per line.
    private static func isFieldName(_ key: String) -> Bool {
        switch key.utf8.count {
        case 5: key == "level" || key == "label"
        case 7: key == "message"
        case 9: key == "timestamp"
        default: false
        }
    }

    /// ``JSONText/appendString(_:to:)``, after a scan that copies a string needing no escape whole.
    private static func appendString(_ text: String, to line: inout [UInt8]) {
        let copied = text.utf8.withContiguousStorageIfAvailable { bytes in
            for byte in bytes where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                return false
            }
            line.append(UInt8(ascii: "\""))
            line.append(contentsOf: bytes)
            line.append(UInt8(ascii: "\""))
            return true
        }
        if copied != true { JSONText.appendString(text, to: &line) }
    }

    private static func appendJSON(_ value: Logger.MetadataValue, to line: inout [UInt8]) {
        switch value {
        case .string(let text):
            appendString(text, to: &line)
        case .stringConvertible(let convertible):
            appendString(convertible.description, to: &line)
        case .array(let items):
            line.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { line.append(UInt8(ascii: ",")) }
                appendJSON(item, to: &line)
            }
            line.append(UInt8(ascii: "]"))
        case .dictionary(let entries):
            line.append(UInt8(ascii: "{"))
            for (index, (key, item)) in entries.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { line.append(UInt8(ascii: ",")) }
                appendString(key, to: &line)
                line.append(UInt8(ascii: ":"))
                appendJSON(item, to: &line)
            }
            line.append(UInt8(ascii: "}"))
        }
    }
}
