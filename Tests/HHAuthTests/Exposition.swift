import Foundation

@testable import HHAuth

/// The samples of a `/metrics` text by series (`name{labels}` as written), to read single values.
struct Exposition {
    let text: String
    private var values: [String: Double] = [:]

    init(_ bytes: [UInt8]) {
        text = String(decoding: bytes, as: UTF8.self)
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " ") else { continue }
            values[String(line[..<space])] = Double(line[line.index(after: space)...])
        }
    }

    init(_ gateway: Gateway) {
        self.init(gateway.metrics.exposition())
    }

    subscript(_ series: String) -> Double? { values[series] }

    /// Every series of the metric `name` (its samples, not its histogram parts).
    func series(of name: String) -> [String] {
        values.keys.filter { $0 == name || $0.hasPrefix(name + "{") }.sorted()
    }

    /// The value of `series`, 0 when it is absent: for differences across an action.
    func value(_ series: String) -> Double { values[series] ?? 0 }
}
