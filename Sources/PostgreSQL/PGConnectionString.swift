internal import CLibPQ

/// Where and how to connect: a `postgresql://` (or `postgres://`) URL, a libpq conninfo
/// (`host=/run/postgresql dbname=hh_auth user=hh_auth`), or, as libpq takes it, a bare database
/// name. Checked and split into its parameters without connecting; its description shows every
/// parameter but the password, so it may be logged.
public struct PGConnectionString: Sendable, CustomStringConvertible {
    /// The text as given, password included: only libpq sees it.
    let text: String
    /// The parameters it sets, in libpq's order, by libpq's keyword (`host`, `port`, `dbname`…).
    let parameters: [(keyword: String, value: String)]

    /// Checks `text` with libpq's own parser. A string libpq cannot parse throws
    /// ``PGError/Kind/invalidConnectionString`` with a message of ours: libpq's would quote the
    /// offending part, which may be the password.
    public init(_ text: String) throws(PGError) {
        self.text = text
        guard Self.isConnectionString(text) else {
            parameters = [("dbname", text)]
            return
        }
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(text, &errorMessage) else {
            if let errorMessage { PQfreemem(errorMessage) }
            throw PGError(.invalidConnectionString, "the connection string is neither a libpq conninfo nor a URL")
        }
        defer { PQconninfoFree(options) }
        var parameters: [(keyword: String, value: String)] = []
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { parameters.append((String(cString: keyword), String(cString: value))) }
            option += 1
        }
        self.parameters = parameters
    }

    /// The value of one parameter (`host`, `dbname`…), if the string sets it.
    public func value(of keyword: String) -> String? {
        parameters.first { $0.keyword == keyword }?.value
    }

    /// The password the string carries, if any: what error messages are scrubbed of.
    var password: String? {
        value(of: "password").flatMap { $0.isEmpty ? nil : $0 }
    }

    /// `keyword=value …` in libpq's order, the passwords (the server's, the client key's) as `***`.
    public var description: String {
        parameters.map { "\($0.keyword)=\(Self.secretKeywords.contains($0.keyword) ? "***" : $0.value)" }
            .joined(separator: " ")
    }

    /// The keywords whose values are secrets.
    private static let secretKeywords: Set<String> = ["password", "sslpassword"]

    /// libpq's own rule (`recognized_connection_string`): a URL, or text with an `=`. Anything
    /// else is a database name.
    private static func isConnectionString(_ text: String) -> Bool {
        text.hasPrefix("postgresql://") || text.hasPrefix("postgres://") || text.contains("=")
    }
}
