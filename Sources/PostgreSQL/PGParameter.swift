/// A statement's parameter (`$1`, `$2`…): a value of one of the types the service stores, or NULL.
///
/// Sent as text, typed (`bigint`, `double precision`, `boolean`) so that the server need not guess,
/// except `text`, whose type the server takes from where the parameter stands (a `text`, `varchar`
/// or `timestamptz` column alike), and `bytea`, sent as raw binary (no escaping, 0x00 included).
/// Literals work: `["name", 42, 1.5, true, nil]`.
public enum PGParameter: Sendable, Hashable {
    case text(String)
    case int64(Int64)
    case double(Double)
    case bool(Bool)
    case bytea([UInt8])
    case null

    public init(_ value: String?) { self = value.map { .text($0) } ?? .null }
    public init(_ value: Int64?) { self = value.map { .int64($0) } ?? .null }
    public init(_ value: Int?) { self = value.map { .int64(Int64($0)) } ?? .null }
    public init(_ value: Double?) { self = value.map { .double($0) } ?? .null }
    public init(_ value: Bool?) { self = value.map { .bool($0) } ?? .null }
    public init(_ value: [UInt8]?) { self = value.map { .bytea($0) } ?? .null }
}

extension PGParameter: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .int64(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(nilLiteral: ()) { self = .null }
}

extension PGParameter {
    /// The type OID sent with the value (0: the server infers it).
    var typeOID: UInt32 {
        switch self {
        case .text, .null: 0
        case .int64: 20  // int8
        case .double: 701  // float8
        case .bool: 16  // bool
        case .bytea: 17  // bytea
        }
    }

    /// 1 for binary, 0 for text (libpq's paramFormats).
    var format: Int32 {
        if case .bytea = self { 1 } else { 0 }
    }

    /// The bytes sent, without a terminator; nil for NULL. Text holding NUL cannot be sent
    /// (PostgreSQL's text cannot hold it, and libpq would cut the value short).
    func encoded() throws(PGError) -> [UInt8]? {
        switch self {
        case .null: return nil
        case .text(let value):
            guard !value.utf8.contains(0) else {
                throw PGError(.invalidValue, "a text parameter holds a NUL character")
            }
            return Array(value.utf8)
        case .int64(let value): return Array(String(value).utf8)
        case .double(let value): return Array(Self.text(of: value).utf8)
        case .bool(let value): return value ? [UInt8(ascii: "t")] : [UInt8(ascii: "f")]
        case .bytea(let value): return value
        }
    }

    /// What `float8in` reads back to the same double: Swift's shortest round-trip digits, and
    /// PostgreSQL's spelling of the specials.
    private static func text(of value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == .infinity { return "Infinity" }
        if value == -.infinity { return "-Infinity" }
        return "\(value)"
    }
}
