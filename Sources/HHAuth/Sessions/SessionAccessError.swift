/// Refusals of the routes a browser's session reaches (`/auth/verify`, `/auth/sessions`), mapped to
/// answers in ``ErrorMapping``. (No session at all is the authentication's 401, built at the edge
/// with its sign-in `Location`.)
public enum SessionAccessError: Error, Equatable {
    /// Signed in, but not in the group the location requires: 403, never 401 (signing in again
    /// would change nothing, and nginx would send the browser round in a loop).
    case notInGroup
    /// `/auth/verify` called from outside nginx's verify location: it exists for nginx alone.
    case notCalledByNginx
    /// A cookie-authenticated change sent by a page of another site.
    case crossSiteRequest
    /// No live session of the caller's by that handle.
    case sessionNotFound
}
