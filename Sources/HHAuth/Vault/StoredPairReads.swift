import Foundation

/// What ``StoredTokenCheck`` reads of a database, one snapshot of it, on either engine: the
/// stored pairs (`hh_tokens`) and the pairs queued for revocation (`hh_revocations`) together.
protocol StoredPairReads {
    /// How many pairs are sealed under each key id.
    func pairCounts() throws -> [String: Int]
    /// One pair sealed under `keyID`: a stored one if there is one, else a queued one; nil when
    /// neither table has one.
    func onePair(sealedUnder keyID: String) throws -> SealedPair?
}

/// A pair as a row holds it: both tokens sealed for `userID`.
struct SealedPair {
    var userID: Int64
    var accessToken: Data
    var refreshToken: Data
}
