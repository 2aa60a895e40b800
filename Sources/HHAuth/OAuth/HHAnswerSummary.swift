import Foundation

/// The few fields of an HH error answer worth a log line when a call fails: the OAuth `error` and
/// `error_description`, the API's `errors[].type`/`value`, and HH's `request_id` (what HH support
/// asks for). Nothing else from the body, so the log never repeats more of it than that.
enum HHAnswerSummary {
    /// `" (error=invalid_client, error_description=…)"`, or `""` when the body has none of them.
    static func of(_ body: [UInt8]) -> String {
        guard body.count <= 64 * 1024,
            let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
        else { return "" }
        var fields: [String] = []
        for key in ["error", "error_description", "oauth_error", "description"] {
            if let value = object[key] as? String { fields.append("\(key)=\(value.prefix(120))") }
        }
        if let errors = object["errors"] as? [[String: Any]] {
            for error in errors.prefix(3) {
                let type = (error["type"] as? String).map { String($0.prefix(60)) } ?? "?"
                let value = (error["value"] as? String).map { String($0.prefix(60)) } ?? "?"
                fields.append("errors=\(type)/\(value)")
            }
        }
        if let id = object["request_id"] as? String { fields.append("request_id=\(id.prefix(64))") }
        return fields.isEmpty ? "" : " (" + fields.joined(separator: ", ") + ")"
    }
}
