/// The used OAuth states' reads, inside a transaction (see ``LoginStateStore``).
public protocol LoginStateReads {
    /// Whether the state was used already.
    func isUsed(_ state: LoginStateStore.Verified) throws -> Bool
}

/// The used OAuth states' writes (and reads), inside a write transaction.
public protocol LoginStateWrites: LoginStateReads {
    /// Marks the state used; `false` when another callback used it first.
    func consume(_ state: LoginStateStore.Verified) throws -> Bool
    /// Deletes the rows of states long expired; returns how many.
    func deleteExpired() throws -> Int
}
