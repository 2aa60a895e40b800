import Foundation

/// One outbound HTTP exchange with HeadHunter.
public struct HHHTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [String: String]
    public var body: [UInt8]

    public init(method: String, url: String, headers: [String: String] = [:], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

public struct HHHTTPResponse: Sendable {
    public var status: Int
    public var body: [UInt8]
    /// The answer's header fields, names lowercased (`date`, `content-type`…).
    public var headers: [String: String]

    public init(status: Int, body: [UInt8], headers: [String: String] = [:]) {
        self.status = status
        self.body = body
        self.headers = headers
    }
}

/// The seam for every call to HeadHunter: production uses ``URLSessionTransport``; tests point it at
/// the stand-in or use a fake. Synchronous on purpose: each FastCGI worker owns its thread.
public protocol HHTransport: Sendable {
    /// Throws ``HHTransportError`` when no HTTP answer arrived (refused, timed out, TLS failure).
    func send(_ request: HHHTTPRequest) throws -> HHHTTPResponse
}

/// No HTTP answer: the connection failed or the deadline passed.
public struct HHTransportError: Error, CustomStringConvertible, Sendable {
    public let description: String
    /// The deadline passed (`hh_auth_hh_requests_total{outcome="timeout"}`); otherwise the
    /// connection failed (`network`).
    public let timedOut: Bool

    public init(_ description: String, timedOut: Bool = false) {
        self.description = description
        self.timedOut = timedOut
    }
}
