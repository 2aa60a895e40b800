import CCrypt
import Foundation

/// Verifies a password against a crypt(3) hash with libxcrypt's `crypt_r`.
public enum PasswordHash {
    private static let prefixes = ["$y$", "$gy$", "$7$", "$2b$", "$2a$", "$2y$", "$6$", "$5$"]

    public static func looksLikeCryptHash(_ text: String) -> Bool {
        prefixes.contains { text.hasPrefix($0) } && text.count >= 20 && !text.contains(where: \.isWhitespace)
    }

    /// Constant-time comparison of the recomputed hash; `crypt_r` keeps its state on our stack, so
    /// this is safe from any worker thread.
    public static func verify(_ password: String, against hash: String) -> Bool {
        var data = crypt_data()
        guard let result = crypt_r(password, hash, &data) else { return false }
        let computed = Array(String(cString: result).utf8)
        return ConstantTime.equal(computed, Array(hash.utf8)) && result.pointee != UInt8(ascii: "*")
    }

    /// Makes a new yescrypt hash (`$y$`) for `hh-auth hash-password`.
    public static func make(_ password: String) -> String? {
        // crypt_gensalt's own buffer is shared between threads; _rn writes into ours.
        var salt = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
        guard crypt_gensalt_rn("$y$", 0, nil, 0, &salt, Int32(salt.count)) != nil else { return nil }
        var data = crypt_data()
        guard let result = crypt_r(password, salt, &data), result.pointee != UInt8(ascii: "*") else { return nil }
        return String(cString: result)
    }
}

/// Comparisons whose time does not depend on where the inputs differ.
public enum ConstantTime {
    public static func equal(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        var difference = UInt8(lhs.count == rhs.count ? 0 : 1)
        let count = max(lhs.count, rhs.count)
        for index in 0..<count {
            let left = index < lhs.count ? lhs[index] : 0
            let right = index < rhs.count ? rhs[index] : 0
            difference |= left ^ right
        }
        return difference == 0
    }
}
