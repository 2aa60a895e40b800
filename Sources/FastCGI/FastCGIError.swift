#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A failure to set up the transport (socket creation, library initialisation).
public struct FastCGIError: Error, CustomStringConvertible, Sendable {
    public let description: String

    init(_ description: String) {
        self.description = description
    }

    init(errno code: Int32, _ operation: String) {
        self.description = "\(operation): \(String(cString: strerror(code)))"
    }
}
