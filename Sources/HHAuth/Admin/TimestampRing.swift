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

    /// Whether all `capacity` places hold a timestamp.
    var isFull: Bool { count == values.count }
}
