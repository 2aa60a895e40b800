/// Something the server's owner should log. The server has no logger of its own; its owner passes
/// a handler in ``FastCGIServer/Options``.
public enum FastCGIServerEvent: Sendable, Equatable {
    /// `accept` failed for lack of descriptors (EMFILE, ENFILE, ENOBUFS, ENOMEM): new connections
    /// wait in the backlog while accepting pauses; reported once per episode.
    case acceptPaused(reason: String)
    /// After a pause, the backlog has been emptied: the episode is over.
    case acceptResumed
    /// A TCP peer that ``PeerPolicy`` does not allow connected; the connection was closed.
    /// At most one a second is reported (a flood must not flood the log): `alsoRefused` counts
    /// the refusals since the last report that were not reported.
    case peerRefused(address: String, alsoRefused: Int)
    /// A worker hit an error it cannot recover from; the server stops and ``FastCGIServer/run()`` throws.
    case workerFailed(reason: String)
}
