/// An error that becomes an HTTP answer: `status` and `{"detail": …}`.
///
/// Handlers throw these; any other error is a bug and becomes a 500 whose details go only to the log.
public struct HTTPError: Error, Sendable, Equatable {
    public var status: Int
    public var detail: String
    public var headers: [HTTPHeader]

    public init(_ status: Int, _ detail: String, headers: [HTTPHeader] = []) {
        self.status = status
        self.detail = detail
        self.headers = headers
    }

    public static let internalErrorDetail = "An internal error occurred. Please try again later."
    public static let notFound = HTTPError(404, "Not found")
    public static let bodyTooLarge = HTTPError(413, "Request body too large")
    public static let bodyNotJSONObject = HTTPError(400, "Request body must be a JSON object")
}
