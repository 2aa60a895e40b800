import Foundation
import HTTPCore

/// `Authorization: Basic …` parsing. The input is the header value as nginx passes it. Whatever it
/// is, a parsed user name never holds a colon (RFC 7617 splits at the first one), and any
/// `user:password` text that is valid UTF-8 survives base64 and back unchanged.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBasicCredentials(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    let header = String(decoding: bytes, as: UTF8.self)
    if let parsed = BasicCredentials(header: header) {
        invariant(header.utf8.count <= 4096, "a \(header.utf8.count)-byte header was accepted")
        invariant(
            !parsed.username.unicodeScalars.contains(":"), "user name \(parsed.username.debugDescription) holds a colon"
        )
    }

    // The same bytes as the decoded `user:password` of a well-formed header.
    guard String(validating: bytes, as: UTF8.self) != nil, let colon = bytes.firstIndex(of: UInt8(ascii: ":"))
    else { return 0 }
    let encoded = "Basic " + Data(bytes).base64EncodedString()
    guard encoded.utf8.count <= 4096 else { return 0 }
    let parsed = BasicCredentials(header: encoded)
    invariant(parsed != nil, "a well-formed header was refused")
    if let parsed {
        let user = String(decoding: bytes[..<colon], as: UTF8.self)
        let password = String(decoding: bytes[(colon + 1)...], as: UTF8.self)
        invariant(
            sameBytes(parsed.username, user), "user \(parsed.username.debugDescription), sent \(user.debugDescription)")
        invariant(sameBytes(parsed.password, password), "password differs from the one sent")
    }
    return 0
}
