import Foundation

/// The stored HH pairs' reads, inside a transaction (see ``HHTokenStore``).
public protocol HHTokenReads {
    /// The user's pair, decrypted; `nil` when there is none.
    func load(userID: Int64) throws -> HHTokenRecord?
    /// Whether the refresh lease could be taken now by `owner`.
    func leaseIsTakable(userID: Int64, owner: String) throws -> Bool
    /// Up to `limit` users whose pair no live session or usable exchange code needs any more.
    func orphanedUserIDs(limit: Int) throws -> [Int64]
    /// Ids of the keys stored pairs are sealed under.
    func keyIDsInUse() throws -> [String]
}

/// The stored HH pairs' writes (and reads), inside a write transaction.
public protocol HHTokenWrites: HHTokenReads {
    /// Stores the pair a login brought, replacing any pair the user had.
    func save(userID: Int64, accessToken: String, refreshToken: String, expiresAt: Date) throws
    /// Stores a rotated pair only onto the row it replaces.
    func saveRefreshed(_ rotated: RotatedTokenPair) throws -> HHTokenStore.RefreshedSave
    /// Deletes the pair only if it is still the given version; false when it was replaced.
    func delete(userID: Int64, version: Int64) throws -> Bool
    /// Takes the refresh lease for this version of the pair; false when another owner holds it.
    func acquireLease(userID: Int64, version: Int64, owner: String, seconds: Double) throws -> Bool
    func releaseLease(userID: Int64, owner: String) throws
    /// Seals up to `limit` pairs under the current key; returns how many rows it read.
    func resealUnderCurrentKey(limit: Int) throws -> Int
}
