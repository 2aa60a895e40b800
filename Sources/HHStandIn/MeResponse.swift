/// The body of `GET /me` for an applicant, in HH's field names.
///
/// Written by hand because HH sends `null` for an absent middle name or phone, where a synthesized
/// `Encodable` would leave the key out.
struct MeResponse: Sendable, Encodable {
    let profile: UserProfile

    enum CodingKeys: String, CodingKey {
        case id
        case firstName = "first_name"
        case lastName = "last_name"
        case middleName = "middle_name"
        case midName = "mid_name"
        case email
        case phone
        case authType = "auth_type"
        case isApplicant = "is_applicant"
        case isEmployer = "is_employer"
        case isAdmin = "is_admin"
        case isApplication = "is_application"
        case isAnonymous = "is_anonymous"
        case employer
        case manager
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(profile.id, forKey: .id)
        try container.encode(profile.firstName, forKey: .firstName)
        try container.encode(profile.lastName, forKey: .lastName)
        try container.encode(profile.middleName, forKey: .middleName)
        // HH still sends the deprecated spelling next to the new one.
        try container.encode(profile.middleName, forKey: .midName)
        try container.encode(profile.email, forKey: .email)
        try container.encodeNil(forKey: .phone)
        try container.encode("applicant", forKey: .authType)
        try container.encode(true, forKey: .isApplicant)
        try container.encode(false, forKey: .isEmployer)
        try container.encode(false, forKey: .isAdmin)
        try container.encode(false, forKey: .isApplication)
        try container.encode(false, forKey: .isAnonymous)
        try container.encodeNil(forKey: .employer)
        try container.encodeNil(forKey: .manager)
    }
}
