/// A name and a value: one CGI parameter of a request, or one header of a response.
///
/// A struct rather than a `(name:value:)` tuple: arrays of tuples are destroyed through the
/// runtime's generic tuple witness, which showed in the per-request profile (callgrind,
/// BENCHMARKS.md "Issue 15").
public struct CGIField: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}
