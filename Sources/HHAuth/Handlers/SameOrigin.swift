import HTTPCore

/// Whether a browser's request was made by a page of this site, from what browsers send and
/// pages cannot forge: `Origin` (parsed as `HH_REDIRECT_URI` is, so a default port is no port)
/// and `Sec-Fetch-Site`.
enum SameOrigin {
    /// The request's `Origin` names this origin, or, without one, `Sec-Fetch-Site` says
    /// `same-origin`. For cookie-authenticated `DELETE`s, which every browser sends with `Origin`.
    static func isCertain(_ request: HTTPRequest) -> Bool {
        if let origin = request.header("origin") { return matches(origin, request) }
        return request.header("sec-fetch-site") == "same-origin"
    }

    /// Nothing the browser sent says another site made the request: `Origin`, when sent, names this
    /// origin, and `Sec-Fetch-Site`, when sent, is `same-origin` or `none` (typed, bookmarked).
    /// A request with neither is a program's, or an old browser's: let through.
    static func isNotRefuted(_ request: HTTPRequest) -> Bool {
        if let origin = request.header("origin"), !matches(origin, request) { return false }
        if let site = request.header("sec-fetch-site"), site != "same-origin", site != "none" { return false }
        return true
    }

    private static func matches(_ origin: String, _ request: HTTPRequest) -> Bool {
        guard let host = request.header("host"),
            let own = SiteOrigin(url: (request.isHTTPS ? "https://" : "http://") + host + "/")
        else { return false }
        return SiteOrigin(url: origin + "/") == own
    }
}
