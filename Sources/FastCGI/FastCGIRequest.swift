/// One request as the web server handed it over: the CGI parameters and the body.
///
/// The body is read up to the server's limit; ``bodyExceedsLimit`` tells the layer above that the
/// client sent more, so it can answer 413 without this module knowing anything about HTTP errors.
public struct FastCGIRequest: Sendable {
    /// CGI/1.1 parameters (`REQUEST_METHOD`, `REQUEST_URI`, `HTTP_*`, `REMOTE_ADDR`, …) in the
    /// order the web server sent them; where a name comes twice, the later one counts.
    ///
    /// A list, not a dictionary: the layer above reads them in one pass, and hashing every name
    /// into a dictionary first cost about 10,000 instructions per request (callgrind,
    /// BENCHMARKS.md "Issue 15").
    public var parameters: [CGIField]
    /// The request body, at most the server's `maxBodyBytes` long.
    public var body: [UInt8]
    /// `true` when the declared or actual body was longer than the limit; ``body`` is then empty.
    public var bodyExceedsLimit: Bool

    public init(parameters: [CGIField], body: [UInt8] = [], bodyExceedsLimit: Bool = false) {
        self.parameters = parameters
        self.body = body
        self.bodyExceedsLimit = bodyExceedsLimit
    }

    public init(params: [String: String], body: [UInt8] = [], bodyExceedsLimit: Bool = false) {
        self.init(parameters: params.map { CGIField($0.key, $0.value) }, body: body, bodyExceedsLimit: bodyExceedsLimit)
    }

    /// The parameters by name (the later of two with one name). Setting it replaces the list, in
    /// no particular order: for tests that build a request by hand.
    public var params: [String: String] {
        get { Dictionary(parameters.map { ($0.name, $0.value) }, uniquingKeysWith: { _, later in later }) }
        set { parameters = newValue.map { CGIField($0.key, $0.value) } }
    }

    /// The value of the last parameter called `name`.
    public func parameter(_ name: String) -> String? {
        parameters.last { $0.name == name }?.value
    }
}

extension FastCGIRequest {
    /// One `NAME=VALUE` entry of libfcgi's environment array, split at the first `=` byte; nil without one.
    ///
    /// Bytes, not `Character`s: a value starting with a combining mark would otherwise fuse with the
    /// `=` into one grapheme cluster and move the split into the value.
    public static func parameter(fromEnvironment entry: String) -> CGIField? {
        var entry = entry
        return entry.withUTF8 { parameter(fromEnvironment: $0) }
    }

    /// The same split over the entry's bytes; invalid UTF-8 on either side is repaired as
    /// `String(cString:)` would repair the whole entry (`=` is ASCII, so no sequence spans it).
    public static func parameter(fromEnvironment bytes: UnsafeBufferPointer<UInt8>) -> CGIField? {
        guard let equals = bytes.firstIndex(of: UInt8(ascii: "=")) else { return nil }
        return CGIField(
            String(decoding: UnsafeBufferPointer(rebasing: bytes[..<equals]), as: UTF8.self),
            String(decoding: UnsafeBufferPointer(rebasing: bytes[(equals + 1)...]), as: UTF8.self)
        )
    }
}
