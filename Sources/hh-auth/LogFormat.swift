import HHAuth

/// `LOG_FORMAT`: the shape of each log line `serve` writes, `text` (the default) or `json`.
///
/// Read here rather than in HHAuth's ``Configuration``, like ``ListenerSettings``: the library
/// logs through swift-log and knows nothing of the handler that writes the lines.
enum LogFormat: String, Sendable {
    /// `TIMESTAMP LEVEL LABEL: key=value… MESSAGE`, for people and grep.
    case text
    /// One JSON object a line with the same fields, for log shippers.
    case json

    /// Reads `LOG_FORMAT` through `parser` (the one ``Configuration`` came from).
    init(_ parser: ConfigurationParser) throws(ConfigurationError) {
        guard let text = parser.optional("LOG_FORMAT") else {
            self = .text
            return
        }
        guard let format = LogFormat(rawValue: text.lowercased()) else {
            throw ConfigurationError("LOG_FORMAT", "must be text or json")
        }
        self = format
    }
}
