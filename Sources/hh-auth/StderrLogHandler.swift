import Foundation
import Logging
import WorkerThreads

/// A swift-log handler that writes each line to stderr with one `write(2)`, as text or, with
/// `LOG_FORMAT=json`, as JSON (``jsonLine(timestamp:level:label:metadata:message:)``).
///
/// swift-log's `StreamLogHandler` formats local time with `strftime` and flushes a shared `FILE*`
/// under a lock for every line; with a line per request that cost about a quarter of `/health`'s
/// throughput. Here the UTC timestamp is formatted once per second, and a single write of a short
/// line needs no lock (stderr is a pipe or the journal's socket).
struct StderrLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    private let label: String
    private let format: LogFormat

    init(label: String, level: Logger.Level, format: LogFormat = .text) {
        self.label = label
        self.logLevel = level
        self.format = format
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = event.metadata ?? [:]
        if !metadata.isEmpty { merged.merge(metadata) { event, _ in event } }
        let timestamp = Timestamp.current()
        let message = event.message.description
        let line =
            switch format {
            case .text:
                Self.line(timestamp: timestamp, level: event.level, label: label, metadata: merged, message: message)
            case .json:
                Self.jsonLine(
                    timestamp: timestamp, level: event.level, label: label, metadata: merged, message: message)
            }
        line.withUnsafeBufferPointer { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { break }
                offset += written
            }
        }
    }

    /// `TIMESTAMP LEVEL LABEL: key=value… MESSAGE\n`, keys sorted.
    ///
    /// Appended as bytes: the interpolated `String` it replaced cost about 18,000 instructions per
    /// request line, a tenth of `/auth/token` (callgrind, BENCHMARKS.md "Issue 15").
    static func line(
        timestamp: String, level: Logger.Level, label: String, metadata: Logger.Metadata, message: String
    ) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(192)
        line += timestamp.utf8
        line.append(UInt8(ascii: " "))
        line += level.rawValue.utf8
        line.append(UInt8(ascii: " "))
        line += label.utf8
        line.append(UInt8(ascii: ":"))
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            line.append(UInt8(ascii: " "))
            line += key.utf8
            line.append(UInt8(ascii: "="))
            if case .string(let text) = value {
                line += text.utf8
            } else {
                line += value.description.utf8
            }
        }
        line.append(UInt8(ascii: " "))
        line += message.utf8
        line.append(UInt8(ascii: "\n"))
        return line
    }

    /// `2026-11-23T14:36:43Z`, recomputed only when the second changes.
    private enum Timestamp {
        private static let cache = Lock<(second: Int, text: String)>((-1, ""))

        static func current() -> String {
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            let second = now.tv_sec
            return cache.withLock { cached in
                if cached.second != second {
                    var parts = tm()
                    var time = second
                    gmtime_r(&time, &parts)
                    cached = (
                        second,
                        String(
                            format: "%04d-%02d-%02dT%02d:%02d:%02dZ", parts.tm_year + 1900, parts.tm_mon + 1,
                            parts.tm_mday,
                            parts.tm_hour, parts.tm_min, parts.tm_sec)
                    )
                }
                return cached.text
            }
        }
    }
}
