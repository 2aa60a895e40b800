/// One route of a ``Router``'s ``Router/table``, as data. Its text form is one line,
/// `GET /admin/users read-only basic-admin` (method, pattern, effects, authentication scheme or
/// `public`): what `hh-auth routes` prints and what end-to-end tests and the router fuzzer read back.
public struct RouteDescription: Sendable, Equatable, LosslessStringConvertible {
    /// The last field of a route that any caller reaches.
    public static let publicScheme = "public"

    public var method: String
    public var pattern: String
    public var effects: Router.Effects
    /// The scheme of the route group that registered the route; nil when any caller reaches it.
    public var authentication: String?

    public init(method: String, pattern: String, effects: Router.Effects, authentication: String? = nil) {
        self.method = method
        self.pattern = pattern
        self.effects = effects
        self.authentication = authentication
    }

    public var description: String {
        let effectsName =
            switch effects {
            case .readOnly: "read-only"
            case .sideEffects: "side-effects"
            }
        return "\(method) \(pattern) \(effectsName) \(authentication ?? Self.publicScheme)"
    }

    /// Parses ``description``; nil for anything else.
    public init?(_ description: String) {
        let fields = description.split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count == 4, !fields[0].isEmpty, fields[1].hasPrefix("/"), !fields[3].isEmpty else { return nil }
        switch fields[2] {
        case "read-only": effects = .readOnly
        case "side-effects": effects = .sideEffects
        default: return nil
        }
        method = String(fields[0])
        pattern = String(fields[1])
        authentication = fields[3] == Self.publicScheme ? nil : String(fields[3])
    }
}
