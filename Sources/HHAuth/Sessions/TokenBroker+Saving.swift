import Foundation
import HTTPCore
import WorkerThreads

/// Saving the pairs HH rotated: only onto the row they replace, and never losing one to a failing
/// database (see ``UnsavedTokenPairs``).
extension TokenBroker {
    /// Saves the pairs that are still only in memory; the janitor calls it on every pass, and the
    /// service once more before it exits. Returns how many are still unsaved.
    @discardableResult
    public func saveUnsavedPairs(deadline: Date = .distantFuture) -> Int {
        for snapshot in unsaved.pairs where Date() < deadline {
            // Under the user's flight, so a request's save and this one never race, and only if the
            // pair is still the one kept: a request may have saved it since the list was taken.
            guard let flight = beginFlight(userID: snapshot.userID) else { continue }
            let result = Result { () throws -> HHTokenRecord in
                guard let kept = unsaved.entry(userID: snapshot.userID), kept.pair == snapshot else {
                    return snapshot.record
                }
                return try save(snapshot, origin: nil, retryingFor: 0)
            }
            finish(flight, userID: snapshot.userID, result)
        }
        return unsaved.pairs.count
    }

    /// How many rotated pairs only memory holds.
    public var unsavedPairCount: Int { unsaved.pairs.count }

    /// Saves a rotated pair if its row still holds the pair it replaces, retrying a failing
    /// database for up to `seconds`. After that the pair stays in memory and is the answer: the
    /// callers get the new, valid token, and a later call or janitor pass saves it. A pair whose
    /// sessions ended meanwhile goes to the ``RevocationQueue`` in the same transaction.
    func save(_ rotated: RotatedTokenPair, origin: ClientOrigin?, retryingFor seconds: Double) throws -> HHTokenRecord {
        let deadline = Date().addingTimeInterval(seconds)
        var pause = 0.05
        while true {
            let outcome: HHTokenStore.RefreshedSave
            do {
                outcome = try storage.write { tx in
                    let outcome = try tx.tokens.saveRefreshed(rotated)
                    switch outcome {
                    case .saved:
                        let event =
                            origin.map { AuditEvent(.tokenRefresh, userID: rotated.userID, origin: $0) }
                            ?? AuditEvent(.tokenRefresh, userID: rotated.userID, metadata: ["saved_late": 1])
                        try tx.audit.record(event)
                    case .savedBefore:
                        break
                    case .superseded:
                        try tx.revocations.enqueue(rotated.record)
                    }
                    return outcome
                }
            } catch {
                guard Date() < deadline else {
                    logger.error(
                        "a rotated HH token pair could not be saved; kept in memory and handed out until the database takes it",
                        metadata: ["user": "\(rotated.userID)", "error": "\(ErrorMapping.cause(of: error))"])
                    unsaved.keep(rotated, pauseSeconds: timing.unsavedRetryPauseSeconds)
                    return rotated.record
                }
                BlockingCall.run { _ = usleep(UInt32(pause * 1_000_000)) }
                pause = min(pause * 2, 1)
                continue
            }
            unsaved.forget(rotated)
            if outcome == .superseded {
                logger.notice(
                    "a refreshed HH token pair was discarded and queued for revocation: its sessions ended while HH answered",
                    metadata: ["user": "\(rotated.userID)"])
                throw TokenRefreshError.superseded
            }
            return rotated.record
        }
    }
}
