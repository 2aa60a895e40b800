import Foundation

/// Whether HeadHunter's hosts answer, asked the way the service talks to them (the same
/// ``HHTransport``, the same `User-Agent`) with a request that changes nothing: `hh-auth doctor`.
public struct HHReachability: Sendable {
    /// Which of HH's addresses to ask.
    public enum Host: Sendable {
        /// `HH_TOKEN_URL`: a `GET` with no grant (the endpoint takes only `POST`): HH answers a 4xx.
        case token
        /// `HH_API_URL`'s `/me` without a token: HH answers 403 (401 would do as well).
        case api

        /// Whether HH itself would answer this request with `status` (a 429 or a 5xx is HH failing,
        /// not HH as it should be; anything else is not HH's answer to it).
        public func expects(_ status: Int) -> Bool {
            switch self {
            case .token: (400..<500).contains(status) && status != 429
            case .api: status == 401 || status == 403
            }
        }
    }

    /// An HTTP answer, whatever its status.
    public struct Answer: Sendable, Equatable {
        public var url: String
        public var status: Int
        /// The class the metrics give such an answer (`server_error`, `rate_limited`, …).
        public var outcome: HHCallOutcome
        /// A 4xx whose `errors` hold `bad_user_agent`: HH refused the `User-Agent`
        /// (`../shared/docs/headhunter-oauth.md`).
        public var refusesUserAgent: Bool
        /// The answer's `Date` header, when it had a readable one: HH's clock.
        public var date: Date?
        public var seconds: Double
    }

    private let settings: Configuration.HeadHunter
    private let transport: any HHTransport

    public init(settings: Configuration.HeadHunter, transport: any HHTransport) {
        self.settings = settings
        self.transport = transport
    }

    /// The address ``probe(_:)`` asks.
    public func url(of host: Host) -> String {
        switch host {
        case .token: settings.tokenURL
        case .api: settings.apiURL + "/me"
        }
    }

    /// Throws ``HHTransportError`` when no HTTP answer came (name not resolved, refused, TLS failed,
    /// timed out).
    public func probe(_ host: Host) throws(HHTransportError) -> Answer {
        let url = url(of: host)
        let request = HHHTTPRequest(
            method: "GET", url: url,
            headers: [
                "User-Agent": settings.userAgent, "HH-User-Agent": settings.userAgent, "Accept": "application/json",
            ])
        let start = ContinuousClock.now
        let response: HHHTTPResponse
        do {
            response = try transport.send(request)
        } catch let error as HHTransportError {
            throw error
        } catch {
            throw HHTransportError(String(describing: error))
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Answer(
            url: url, status: response.status, outcome: HHCallOutcome(status: response.status, body: response.body),
            refusesUserAgent: (400..<500).contains(response.status) && Self.refusesUserAgent(response.body),
            date: response.headers["date"].flatMap(Self.httpDate), seconds: seconds)
    }

    /// HH's general error shape, `{"errors":[{"type":…,"value":…}],…}`: only the types.
    private struct ErrorList: Decodable {
        struct Item: Decodable {
            let type: String?
        }

        let errors: [Item]?
    }

    private static func refusesUserAgent(_ body: [UInt8]) -> Bool {
        guard !body.isEmpty, body.count <= 64 * 1024 else { return false }
        let list = try? JSONDecoder().decode(ErrorList.self, from: Data(body))
        return list?.errors?.contains { $0.type == "bad_user_agent" } == true
    }

    /// An HTTP-date in its one current form (RFC 9110's IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`).
    static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.date(from: text.trimmingCharacters(in: .whitespaces))
    }
}
