/// The last `capacity` timestamps, oldest overwritten first: O(1) to add and to ask whether all
/// `capacity` of them fall inside a window.
struct TimestampRing: Sendable {
    private var values: [Double]
    private var next = 0
    private var count = 0

    init(capacity: Int) {
        values = Array(repeating: 0, count: capacity)
    }

    mutating func append(_ value: Double) {
        values[next] = value
        next = (next + 1) % values.count
        count = min(count + 1, values.count)
    }

    /// The oldest timestamp kept.
    var oldest: Double? { count == 0 ? nil : values[(next - count + values.count) % values.count] }

    /// Whether the ring is full and even its oldest timestamp is later than `instant`.
    func isFull(after instant: Double) -> Bool { count == values.count && (oldest ?? 0) > instant }
}
