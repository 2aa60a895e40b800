import HTTPCore

/// Where a browser without a session is sent: `/auth/login?rd=<where it was going>` on the origin
/// of `HH_REDIRECT_URI`. It has to be that origin: HH returns the browser there, and the pre-auth
/// cookie that proves the callback belongs to this browser is kept by the host that set it.
struct SignInLocation: Sendable {
    /// `https://auth.example.com` (with a port when it is not the scheme's default).
    let origin: String

    init(site: SiteOrigin) {
        origin = site.description
    }

    /// The sign-in URL that comes back to `target` (a path on this site or an absolute URL).
    func url(returningTo target: String) -> String {
        origin + "/auth/login?rd=" + QueryParameters.encode(target)
    }

    /// For an `auth_request` subrequest from a browser navigation, the sign-in URL that comes
    /// back to the page it asked for; `nil` for anything else: a request that is not a `GET` or
    /// `HEAD` (a form post after expiry must not come back as a GET), one that does not accept
    /// HTML (an API client gets a plain 401), or one nginx did not describe.
    func location(for request: HTTPRequest) -> String? {
        guard let uri = request.originalURI, uri.hasPrefix("/"),
            request.originalMethod == "GET" || request.originalMethod == "HEAD",
            request.header("accept")?.contains("text/html") == true
        else { return nil }
        guard let host = request.header("host"), Self.isPlausibleHost(host) else { return url(returningTo: uri) }
        let requestOrigin = (request.isHTTPS ? "https://" : "http://") + host.lowercased()
        // A page on this very origin comes back as a path: nothing for the target check to weigh.
        return url(returningTo: requestOrigin == origin ? uri : requestOrigin + uri)
    }

    /// A `Host` header that can stand in a URL's authority: letters, digits, `-`, `.`, a port, or
    /// a bracketed IPv6 literal. Anything else is left out of the target (the path still comes back).
    static func isPlausibleHost(_ host: String) -> Bool {
        !host.isEmpty && host.utf8.count <= 255
            && host.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: ":"),
                    UInt8(ascii: "["), UInt8(ascii: "]"):
                    true
                default: false
                }
            }
    }
}
