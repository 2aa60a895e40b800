/// Where a call into the domain came from: what the audit trail and the per-client limits know of
/// the client. The HTTP side makes one from each request; the domain never sees the request itself.
public struct ClientOrigin: Sendable, Equatable {
    /// The client's address as nginx saw it (`REMOTE_ADDR`, never `X-Forwarded-For`).
    public var clientAddress: String
    /// The `User-Agent` the client sent, empty when it sent none.
    public var userAgent: String
    /// The id the request is logged and answered (`X-Request-Id`) under.
    public var requestID: String

    public init(clientAddress: String, userAgent: String = "", requestID: String = "") {
        self.clientAddress = clientAddress
        self.userAgent = userAgent
        self.requestID = requestID
    }
}
