import HTTPCore

/// A failure of a route people reach with a browser (`/auth/callback`). The handler throws it
/// instead of building an error answer itself, so ``Application`` maps and logs it like every other
/// error (the cause of a 5xx is never lost) and answers an HTML page to clients that accept
/// `text/html`, the contract's JSON to everyone else; `headers` go on either (the callback's
/// deletion of its pre-auth cookie).
struct PageError: Error {
    let underlying: any Error
    let headers: [HTTPHeader]

    init(_ underlying: any Error, headers: [HTTPHeader] = []) {
        self.underlying = underlying
        self.headers = headers
    }
}
