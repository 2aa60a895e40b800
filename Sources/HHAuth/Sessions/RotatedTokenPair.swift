import Foundation

/// A pair HH issued for a refresh token: from the moment HH answers, the stored refresh token is
/// spent, so this pair is the user's only way back to HH until it is saved.
public struct RotatedTokenPair: Sendable, Equatable {
    public var userID: Int64
    public var accessToken: String
    public var refreshToken: String
    public var expiresAt: Date
    /// The `hh_tokens.version` whose refresh token was spent; the save compares it.
    public var replacesVersion: Int64

    /// The record as it reads once saved (the save bumps the version by one).
    var record: HHTokenRecord {
        HHTokenRecord(
            userID: userID, accessToken: accessToken, refreshToken: refreshToken, expiresAt: expiresAt,
            version: replacesVersion + 1)
    }
}
