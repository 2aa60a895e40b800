import Foundation
import HTTPCore

/// What the broker does when HH refuses a refresh or does not answer: hand out a token that is
/// still good, end the sessions of a dead refresh token, or keep everything and fail the call.
extension TokenBroker {
    func recover(from error: HHClientError, userID: Int64, current: HHTokenRecord, origin: ClientOrigin) throws
        -> HHTokenRecord
    {
        switch error.grantError {
        case .tokenNotExpired:
            // HH says the token we hold is still good: hand it out.
            refreshes?.count(.success)
            return current
        case .tokenAlreadyRefreshed:
            let stored: HHTokenRecord?
            do {
                stored = try storage.read { tx in try tx.tokens.load(userID: userID) }
            } catch {
                refreshes?.count(.failed)
                throw error
            }
            if let newer = stored, newer.version != current.version {
                refreshes?.count(.success)
                return newer
            }
            try endSessions(of: current, reason: GrantRefusal.tokenAlreadyRefreshed.description, origin: origin)
            throw SessionError.expired
        case .some(let refusal) where refusal.refreshTokenIsDead:
            try endSessions(of: current, reason: refusal.description, origin: origin)
            throw SessionError.expired
        case .some(let refusal):
            // Not a wording that means the refresh token is dead: the pair and the sessions stay,
            // and the caller gets what HH being unavailable gets.
            refreshes?.count(.hhError)
            logger.warning(
                "HH refused a refresh in words it does not document; the sessions are kept",
                metadata: [
                    "user": "\(userID)", "error_description": "\(LogText.safe(refusal.description, limit: 200))",
                ])
            _ = try? storage.write { tx in
                try tx.audit.record(
                    AuditEvent(
                        .tokenRefreshFailed, userID: userID, origin: origin,
                        metadata: ["reason": "hh_refusal_not_understood"]))
            }
            throw error
        case nil:
            refreshes?.count(.hhError)
            _ = try? storage.write { tx in
                try tx.audit.record(
                    AuditEvent(
                        .tokenRefreshFailed, userID: userID, origin: origin, metadata: ["reason": "hh_unavailable"]))
            }
            throw error
        }
    }

    /// HH refused the refresh token for good: the stored pair is dead, and so is every session on
    /// it. Unless a login replaced the pair while HH answered: then that login's pair and sessions
    /// stand, and the caller looks its session up again (``TokenRefreshError/superseded``).
    ///
    /// Counted as `revoked` only once the sessions have ended; a database that refused the write
    /// counts as `failed`, and a superseded pair is not counted at all: HH's refusal of the old
    /// token is in `hh_auth_hh_requests_total`, and the caller is handed the new pair.
    private func endSessions(of dead: HHTokenRecord, reason: String, origin: ClientOrigin) throws {
        do {
            try endSessionsOnce(of: dead, reason: reason, origin: origin)
            refreshes?.count(.revoked)
        } catch TokenRefreshError.superseded {
            throw TokenRefreshError.superseded
        } catch {
            refreshes?.count(.failed)
            throw error
        }
    }

    private func endSessionsOnce(of dead: HHTokenRecord, reason: String, origin: ClientOrigin) throws {
        let userID = dead.userID
        try storage.write { tx in
            guard try tx.tokens.delete(userID: userID, version: dead.version) else {
                throw TokenRefreshError.superseded
            }
            let ended = try tx.sessions.endAll(userID: userID)
            try tx.audit.record(
                AuditEvent(
                    .tokenRefreshFailed, userID: userID, origin: origin,
                    metadata: ["reason": .string(reason), "sessions_ended": .integer(Int64(ended))]))
        }
    }
}
