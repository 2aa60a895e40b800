/// Request counts per key and fixed window that every node of a deployment adds to, so a limit
/// counts a client once however many nodes its requests land on (docs/scale-out.md, "The hourly
/// per-address limit, counted once"). A node counts locally and adds its counts in batches
/// (``SharedWindowCounter``); one ``add(_:)`` is one round trip that also answers the totals.
///
/// The storage engine offers one where several processes share the database
/// (``SharedNodeState/windowCounts``); on SQLite (one process) the limiters count in memory.
public protocol WindowCountStore: Sendable {
    /// Adds each count to its key's window and returns every given key's total after the add:
    /// what all nodes have added to that window so far, this one's included.
    func add(_ counts: [WindowCountKey: Int]) throws -> [WindowCountKey: Int]

    /// Whether ``add(_:)`` answers without I/O (memory): a ``SharedWindowCounter`` then flushes
    /// on the request's thread; a store that may wait for a server is flushed in the background.
    var answersAtOnce: Bool { get }
}

extension WindowCountStore {
    public var answersAtOnce: Bool { false }
}

/// One counted unit: which limit (`scope`), whose requests (`key`, a client address or /64) and
/// which window (its start, Unix seconds).
public struct WindowCountKey: Hashable, Sendable {
    public var scope: String
    public var key: String
    public var window: Int

    public init(scope: String, key: String, window: Int) {
        self.scope = scope
        self.key = key
        self.window = window
    }
}
