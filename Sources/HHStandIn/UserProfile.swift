/// A HeadHunter applicant as `GET /me` describes them.
public struct UserProfile: Sendable, Equatable, Codable {
    /// HH ids are decimal strings, e.g. `100000001`.
    public var id: String
    /// `first_name`.
    public var firstName: String
    /// `last_name`.
    public var lastName: String
    /// HH allows no middle name, and then sends `null`.
    public var middleName: String?
    /// `email`.
    public var email: String

    /// A profile as `POST /_control/users` registers it.
    public init(id: String, firstName: String, lastName: String, middleName: String?, email: String) {
        self.id = id
        self.firstName = firstName
        self.lastName = lastName
        self.middleName = middleName
        self.email = email
    }

    /// The default user. Cyrillic on purpose, so every layer proves it keeps UTF-8 intact.
    public static let ivanPetrov = UserProfile(
        id: "100000001", firstName: "Иван", lastName: "Петров", middleName: "Сергеевич",
        email: "ivan.petrov@example.com")

    /// The profile of a user nobody registered through the control API: "Тест Пользователь <id>",
    /// so a test can sign in as any id without setting it up first.
    public static func generated(id: String) -> UserProfile {
        UserProfile(
            id: id, firstName: "Тест", lastName: "Пользователь \(id)", middleName: nil,
            email: "user\(id)@example.com")
    }

    /// Ids the stand-in accepts from tests and the environment: 1–64 ASCII letters, digits, `-` or
    /// `_`, so an id is always safe in a URL, a JSON body and a log line.
    public static func isAcceptableID(_ id: String) -> Bool {
        (1...64).contains(id.utf8.count)
            && id.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                    UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                    true
                default:
                    false
                }
            }
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id
        case firstName = "first_name"
        case lastName = "last_name"
        case middleName = "middle_name"
        case email
    }
}
