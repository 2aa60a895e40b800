/// A move that failed after it made its target, and left what it made there: removing it could
/// have removed what is not the move's (a service started too early wrote there, or is connected),
/// or the removal itself failed. The operator looks, and removes by hand what is not wanted.
public struct DataMoveLeftover: Error, CustomStringConvertible {
    /// Why the move failed: a ``DataMoveError``, ``StorageError``, ``StorageFailure`` or the
    /// PostgreSQL client's `PGError`, as ``DataMove/run()`` throws them otherwise.
    public let cause: any Error
    /// What is left in the target, why, and how to remove it.
    public let leftover: String

    public var description: String { "\(cause); and \(leftover)" }
}
