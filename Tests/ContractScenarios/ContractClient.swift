import Foundation

/// What a contract scenario talks to: the service, as one harness reaches it. HHAuthTests answers
/// in process (`GatewayHarness`: manual clock, fake HH), EndToEndTests through real nginx, the
/// built binaries and the HH stand-in. A scenario written against this runs, unchanged, in both.
public protocol ContractClient {
    /// Sends one request as a browser-like HTTP client would: the harness adds a `User-Agent`, for
    /// a body its length, and the cookies the service set (each client is one browser with its own
    /// ``CookieJar``: a sign-in's callback must come from the browser that started it); nothing else.
    func send(_ method: String, _ target: String, headers: [String: String], body: [UInt8]?) throws
        -> ContractResponse

    /// HeadHunter's authorize page: given the `Location` that `/auth/login` sent the browser to,
    /// the target of the callback HH sends the browser back to (`/auth/callback?code=…&state=…`),
    /// signed in as `hhUserID`, or with `error=access_denied` when the user denies.
    func authorize(_ location: String, as hhUserID: String, deny: Bool) throws -> String

    /// On the whitelist from the start, and known to HH.
    var user: HHAccount { get }
    /// Known to HH, not on the whitelist until a scenario allows them.
    var outsider: HHAccount { get }
    /// The admin's Basic credentials.
    var admin: AdminAccount { get }
    /// The client address the service records for this client (`ip` in audit events).
    var clientAddress: String { get }

    /// The service's clock now, and how far (seconds) a timestamp it writes may be from it: the
    /// in-process clock stands still, a real one moves on between the answer and this call.
    func now() -> Date
    var clockTolerance: TimeInterval { get }
}

/// An HH account as the service shows it after a sign-in.
public struct HHAccount: Sendable {
    public let hhUserID: String
    public let fullName: String
    public let email: String?

    public init(hhUserID: String, fullName: String, email: String?) {
        self.hhUserID = hhUserID
        self.fullName = fullName
        self.email = email
    }
}

public struct AdminAccount: Sendable {
    public let username: String
    public let password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    public var authorization: String { "Basic " + Data("\(username):\(password)".utf8).base64EncodedString() }
}

/// What the contract fixes for every deployment the scenarios run against.
public enum Contract {
    /// The one client redirect URI each harness allow-lists (`CLIENT_REDIRECT_URIS`).
    public static let clientRedirect = "https://app.example.com/done"
}

/// An answer as the client saw it.
public struct ContractResponse: Sendable {
    public var status: Int
    /// Lowercased names; the last value wins.
    public var headers: [String: String]
    public var body: [UInt8]
    /// Every `Set-Cookie` value, in order (``headers`` keeps only the last).
    public var setCookies: [String]

    public init(status: Int, headers: [String: String], body: [UInt8], setCookies: [String] = []) {
        self.status = status
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }) { _, last in last }
        self.body = body
        self.setCookies = setCookies
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body as a JSON object; empty when it is not one.
    public var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
    }

    public var detail: String? { json["detail"] as? String }
}
