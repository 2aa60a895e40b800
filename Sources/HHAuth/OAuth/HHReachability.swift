import Foundation

/// Whether HeadHunter's hosts answer, asked the way the service talks to them (the same
/// ``HHTransport``, the same `User-Agent`) with a request that changes nothing: `hh-auth doctor`.
public struct HHReachability: Sendable {
    /// Which of HH's addresses to ask.
    public enum Host: Sendable {
        /// `HH_TOKEN_URL`: a `GET` with no grant (the endpoint takes only `POST`; whatever it answers
        /// shows the host is there).
        case token
        /// `HH_API_URL`'s `/me` without a token (answered 403 without one).
        case api
    }

    /// An HTTP answer: any status counts as one.
    public struct Answer: Sendable, Equatable {
        public var url: String
        public var status: Int
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
            url: url, status: response.status, date: response.headers["date"].flatMap(Self.httpDate),
            seconds: seconds)
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
