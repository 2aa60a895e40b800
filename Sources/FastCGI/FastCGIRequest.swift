/// One request as the web server handed it over: the CGI parameters and the body.
///
/// The body is read up to the server's limit; ``bodyExceedsLimit`` tells the layer above that the
/// client sent more, so it can answer 413 without this module knowing anything about HTTP errors.
public struct FastCGIRequest: Sendable {
    /// CGI/1.1 parameters (`REQUEST_METHOD`, `REQUEST_URI`, `HTTP_*`, `REMOTE_ADDR`, …).
    public var params: [String: String]
    /// The request body, at most the server's `maxBodyBytes` long.
    public var body: [UInt8]
    /// `true` when the declared or actual body was longer than the limit; ``body`` is then empty.
    public var bodyExceedsLimit: Bool

    public init(params: [String: String], body: [UInt8] = [], bodyExceedsLimit: Bool = false) {
        self.params = params
        self.body = body
        self.bodyExceedsLimit = bodyExceedsLimit
    }
}

extension FastCGIRequest {
    /// One `NAME=VALUE` entry of libfcgi's environment array, split at the first `=` byte; nil without one.
    ///
    /// Bytes, not `Character`s: a value starting with a combining mark would otherwise fuse with the
    /// `=` into one grapheme cluster and move the split into the value.
    public static func parameter(fromEnvironment entry: String) -> (name: String, value: String)? {
        var entry = entry
        return entry.withUTF8 { parameter(fromEnvironment: $0) }
    }

    /// The same split over the entry's bytes; invalid UTF-8 on either side is repaired as
    /// `String(cString:)` would repair the whole entry (`=` is ASCII, so no sequence spans it).
    public static func parameter(fromEnvironment bytes: UnsafeBufferPointer<UInt8>) -> (name: String, value: String)? {
        guard let equals = bytes.firstIndex(of: UInt8(ascii: "=")) else { return nil }
        return (
            String(decoding: UnsafeBufferPointer(rebasing: bytes[..<equals]), as: UTF8.self),
            String(decoding: UnsafeBufferPointer(rebasing: bytes[(equals + 1)...]), as: UTF8.self)
        )
    }
}
