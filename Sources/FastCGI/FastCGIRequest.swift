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
