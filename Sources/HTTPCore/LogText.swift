/// Text from clients goes into log lines only through this: control characters (CR/LF above all,
/// but also DEL, the C1 controls such as NEL and CSI) and Unicode's line and paragraph separators
/// become `?`, so nobody can forge a log line or steer a terminal.
public enum LogText {
    /// `text` with every such character replaced, cut to `limit` Unicode scalars.
    public static func safe(_ text: String, limit: Int = 200) -> String {
        // The usual case (a method, an address): short printable ASCII goes through as it is.
        if text.utf8.count <= limit, text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text }
        var out = ""
        for scalar in text.unicodeScalars.prefix(limit) {
            out.unicodeScalars.append(isUnsafe(scalar) ? "?" : scalar)
        }
        return out
    }

    private static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator: true
        default: false
        }
    }
}
