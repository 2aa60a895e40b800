import Foundation

/// The JSON bodies the control API accepts. Unknown fields are refused rather than ignored, so a
/// test with a typo (`token_lifetime`) fails loudly instead of testing the defaults.
enum ControlRequests {
    /// `POST /_control/config`: any subset of the fields.
    struct ConfigChange: Decodable {
        var tokenLifetimeSeconds: Int?
        var defaultUserID: String?
        var codeLifetimeSeconds: Int?
        var expiresInOffsetSeconds: Int?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case tokenLifetimeSeconds = "token_lifetime_seconds"
            case defaultUserID = "default_user_id"
            case codeLifetimeSeconds = "code_lifetime_seconds"
            case expiresInOffsetSeconds = "expires_in_offset_seconds"
        }
    }

    /// `POST /_control/users`: a profile in `/me`'s field names; `middle_name` may be absent or null.
    typealias NewUser = UserProfile

    /// `POST /_control/deactivate`.
    struct Deactivation: Decodable {
        var userID: String

        enum CodingKeys: String, CodingKey, CaseIterable {
            case userID = "user_id"
        }
    }

    /// `POST /_control/fail`.
    struct FailureInjection: Decodable {
        var endpoint: String
        var mode: String
        var count: Int?
        var hangSeconds: Double?
        /// Required with `mode: delay`, refused with any other mode.
        var delaySeconds: Double?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case endpoint, mode, count
            case hangSeconds = "hang_seconds"
            case delaySeconds = "delay_seconds"
        }
    }

    /// Why a control body was refused; the message goes back to the test as `{"error": …}`.
    struct Refusal: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    /// Decodes a JSON object body; an empty body counts as `{}`.
    static func decode<T: Decodable>(
        _ type: T.Type, from body: [UInt8], allowedKeys: [String]
    ) throws(Refusal) -> T {
        let isBlank = body.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        let data = isBlank ? Data("{}".utf8) : Data(body)
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw Refusal("body must be a JSON object")
        }
        let unknown = object.keys.filter { !allowedKeys.contains($0) }.sorted()
        guard unknown.isEmpty else {
            let known = allowedKeys.joined(separator: ", ")
            throw Refusal("unknown field(s): \(unknown.joined(separator: ", ")); known: \(known)")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw Refusal("field '\(key.stringValue)' is required")
        } catch let DecodingError.valueNotFound(_, context) {
            throw Refusal("field '\(fieldName(context))' must not be null")
        } catch let DecodingError.typeMismatch(_, context) {
            throw Refusal("field '\(fieldName(context))' has the wrong type")
        } catch {
            throw Refusal("body is not valid: \(error)")
        }
    }

    private static func fieldName(_ context: DecodingError.Context) -> String {
        context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }
}
