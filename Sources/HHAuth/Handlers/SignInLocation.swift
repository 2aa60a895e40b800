import HTTPCore

/// Where a browser without a session is sent: `/auth/login?rd=<where it was going>` on the origin
/// of `HH_REDIRECT_URI`. It has to be that origin: HH returns the browser there, and the pre-auth
/// cookie that proves the callback belongs to this browser is kept by the host that set it.
struct SignInLocation: Sendable {
    /// `https://auth.example.com` (with a port when it is not the scheme's default).
    let origin: String
    /// What `/auth/login` will accept as `rd`: a target it refuses would strand the user on a 400.
    let returnTargets: ReturnTargetPolicy

    init(returnTargets: ReturnTargetPolicy) {
        origin = returnTargets.site.description
        self.returnTargets = returnTargets
    }

    /// The sign-in URL that comes back to `target` (a path on this site or an absolute URL).
    func url(returningTo target: String) -> String {
        origin + "/auth/login?rd=" + QueryParameters.encode(target)
    }

    /// For an `auth_request` subrequest from a browser navigation, the sign-in URL that comes
    /// back to the page it asked for; `nil` for anything else: a request that is not a `GET` or
    /// `HEAD` (a form post after expiry must not come back as a GET), one that does not accept
    /// HTML (an API client gets a plain 401), or one nginx did not describe.
    ///
    /// Also `nil` when the page could not receive the session cookie and the browser would come
    /// straight back here, signing in at HH in an endless loop: a page on another origin is sent
    /// to sign in only when it shares the scheme and lies under `cookieDomain`. A target
    /// `/auth/login` would refuse (a query with a backslash, say) or one whose `Location` would
    /// pass ``maximumLocationLength`` loses its query, then its path: the user signs in and lands
    /// on less than they asked for, rather than on an error.
    func location(for request: HTTPRequest, cookieDomain: String?) -> String? {
        guard let uri = request.originalURI, uri.hasPrefix("/"), !uri.hasPrefix("//"),
            request.originalMethod == "GET" || request.originalMethod == "HEAD",
            request.header("accept")?.contains("text/html") == true,
            let host = request.header("host"),
            // The same parse as HH_REDIRECT_URI's: a Host header that is no URL authority is refused.
            let page = SiteOrigin(url: (request.isHTTPS ? "https://" : "http://") + host + "/")
        else { return nil }
        let site = returnTargets.site
        if page != site {
            guard let cookieDomain, page.scheme == site.scheme, ("." + page.host).hasSuffix(cookieDomain) else {
                return nil
            }
        }
        let target = page == site ? uri : page.description + uri
        let withoutQuery = target.firstIndex(where: { $0 == "?" || $0 == "#" }).map { String(target[..<$0]) }
        for candidate in [target, withoutQuery].compactMap({ $0 }) {
            let location = url(returningTo: candidate)
            if location.utf8.count <= Self.maximumLocationLength, (try? returnTargets.location(for: candidate)) != nil {
                return location
            }
        }
        return url(returningTo: "/")
    }

    /// The longest `Location` sent: well inside nginx's default 4 KiB FastCGI header buffer,
    /// past which nginx answers 502 (and `auth_request` 500).
    static let maximumLocationLength = 3072
}
