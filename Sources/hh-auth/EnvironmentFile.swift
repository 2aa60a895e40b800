/// The settings file the unit names in `EnvironmentFile=` (`/etc/hh-auth/env`), read the way
/// systemd reads it, so the CLI and the service see the same values.
///
/// The subset of systemd's syntax accepted: one `KEY=VALUE` a line; blank lines, and lines whose
/// first non-blank character is `#` or `;`, are skipped; blanks around the key and before the
/// value are dropped. A value is
/// - unquoted: taken up to the end of the line, trailing blanks dropped, `\x` read as `x`
///   (`#` in it is part of the value, as for systemd);
/// - in single quotes: taken as written;
/// - in double quotes: `\"`, `\\`, `\$` and `` \` `` are the character, any other backslash stays.
///
/// Anything systemd would read differently, or we would have to guess at (a line without `=`, a
/// key that is not `[A-Za-z_][A-Za-z0-9_]*`, a quote left open, text after a closing quote, a
/// backslash ending a line: systemd's continuation, which systemd before 254 (Debian 12 has 252)
/// applies to a comment too; a byte order mark, which systemd keeps as part of the first name) is
/// refused with the line's number; an error never quotes the line, which may hold a secret. A key
/// given twice keeps its last value.
enum EnvironmentFile {
    struct Problem: Error, Equatable {
        let line: Int
        let reason: String
    }

    static func parse(_ text: String) throws(Problem) -> [String: String] {
        var settings: [String: String] = [:]
        guard !text.unicodeScalars.starts(with: ["\u{FEFF}"]) else {
            throw Problem(
                line: 1, reason: "the file starts with a byte order mark (systemd reads it as part of the first name)")
        }
        var number = 0
        // systemd ends a line at CR as well as at LF.
        let lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
        for line in lines {
            number += 1
            let content = line.drop(while: isBlank)
            guard let first = content.first else { continue }
            if first == "#" || first == ";" {
                guard content.last != "\\" else {
                    throw Problem(
                        line: number,
                        reason: "a \\ ends the comment (systemd before 254 reads the next line as part of it)")
                }
                continue
            }
            guard let equals = content.firstIndex(of: "=") else {
                throw Problem(line: number, reason: "expected KEY=VALUE")
            }
            var key = content[..<equals]
            while let last = key.last, isBlank(last) { key.removeLast() }
            guard isValidKey(key) else {
                throw Problem(line: number, reason: "the name before = must be letters, digits and _")
            }
            settings[String(key)] = try value(
                content[content.index(after: equals)...].drop(while: isBlank), line: number)
        }
        return settings
    }

    private static func value(_ text: Substring, line: Int) throws(Problem) -> String {
        var result = ""
        var index = text.startIndex
        /// The value's next character, or `nil` at the end of the line.
        func next() -> Character? {
            guard index < text.endIndex else { return nil }
            defer { index = text.index(after: index) }
            return text[index]
        }
        switch text.first {
        case "'"?:
            index = text.index(after: index)
            while let character = next() {
                if character == "'" { return try closed(result, rest: text[index...], line: line) }
                result.append(character)
            }
            throw Problem(line: line, reason: "a ' is not closed")
        case "\""?:
            index = text.index(after: index)
            while let character = next() {
                switch character {
                case "\"": return try closed(result, rest: text[index...], line: line)
                case "\\":
                    guard let escaped = next() else { continue }
                    if !"\"\\$`".contains(escaped) { result.append("\\") }
                    result.append(escaped)
                default: result.append(character)
                }
            }
            throw Problem(line: line, reason: "a \" is not closed (values over several lines are not supported)")
        default:
            // Blanks are held back until something follows them: trailing ones are dropped, an
            // escaped one (`\ `) is kept.
            var blanks = ""
            while var character = next() {
                if isBlank(character) {
                    blanks.append(character)
                    continue
                }
                if character == "\\" {
                    guard let escaped = next() else {
                        throw Problem(
                            line: line, reason: "a \\ ends the line (values over several lines are not supported)")
                    }
                    character = escaped
                }
                result += blanks
                blanks = ""
                result.append(character)
            }
            return result
        }
    }

    private static func closed(_ value: String, rest: Substring, line: Int) throws(Problem) -> String {
        guard rest.allSatisfy(isBlank) else { throw Problem(line: line, reason: "text after the closing quote") }
        return value
    }

    private static func isBlank(_ character: Character) -> Bool { character == " " || character == "\t" }

    private static func isValidKey(_ key: Substring) -> Bool {
        guard let first = key.utf8.first, !isDigit(first) else { return false }
        return key.utf8.allSatisfy { $0 == UInt8(ascii: "_") || isDigit($0) || isLetter($0) }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
    }
}
