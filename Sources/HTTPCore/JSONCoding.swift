import Foundation

/// The JSON encoder and decoder every handler shares, and the mapping of decoding failures to the
/// contract's errors: a body that is not a JSON object → 400, a missing or mistyped field → 422.
public enum JSONCoding {
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        // Stable key order: diffs of answers and logs stay readable.
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    /// Decodes a request body that must be a JSON object.
    public static func decodeObject<T: Decodable>(_ type: T.Type, from body: [UInt8]) throws(HTTPError) -> T {
        guard let first = body.first(where: { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D) }),
            first == UInt8(ascii: "{")
        else { throw HTTPError.bodyNotJSONObject }
        do {
            return try decoder.decode(T.self, from: Data(body))
        } catch let error as DecodingError {
            throw map(error)
        } catch {
            throw HTTPError.bodyNotJSONObject
        }
    }

    static func map(_ error: DecodingError) -> HTTPError {
        switch error {
        case .keyNotFound(let key, let context):
            return HTTPError(422, "Field required: \(fieldName(context.codingPath + [key]))")
        case .valueNotFound(_, let context):
            return HTTPError(422, "Field required: \(fieldName(context.codingPath))")
        case .typeMismatch(let type, let context):
            return HTTPError(422, "Field '\(fieldName(context.codingPath))' must be \(describe(type))")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return HTTPError.bodyNotJSONObject }
            return HTTPError(422, "Field '\(fieldName(context.codingPath))' is invalid")
        @unknown default:
            return HTTPError.bodyNotJSONObject
        }
    }

    private static func fieldName(_ path: [any CodingKey]) -> String {
        path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int64.Type: "an integer"
        case is [Any].Type: "a list"
        default: "of another type"
        }
    }
}
