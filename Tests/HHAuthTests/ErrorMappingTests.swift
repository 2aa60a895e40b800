import GRDB
import HTTPCore
import Testing

@testable import HHAuth

private struct SomethingElse: Error {}

@Suite("ErrorMapping")
struct ErrorMappingTests {
    @Test func sessionErrorsAre401() {
        #expect(ErrorMapping.httpError(for: SessionError.invalid) == HTTPError(401, "Invalid session"))
        #expect(
            ErrorMapping.httpError(for: SessionError.expired) == HTTPError(401, "Session expired, please log in again"))
    }

    @Test func adminAuthenticationFailuresAre401WithAChallengeOr429WithRetryAfter() {
        #expect(
            ErrorMapping.httpError(for: AdminAuthenticationError.invalidCredentials)
                == HTTPError(
                    401, "Invalid credentials", headers: [HTTPHeader("WWW-Authenticate", "Basic realm=\"hh-auth\"")]))
        #expect(
            ErrorMapping.httpError(for: AdminAuthenticationError.tooManyFailures(retryAfterSeconds: 42))
                == HTTPError(
                    429, "Too many failed login attempts, try again later", headers: [HTTPHeader("Retry-After", "42")]))
        // The throttle's state out of reach is not the client's doing.
        #expect(
            ErrorMapping.httpError(for: AdminAuthenticationError.unavailable(retryAfterSeconds: 5))
                == HTTPError(
                    503, "Service temporarily unavailable, try again later", headers: [HTTPHeader("Retry-After", "5")]))
    }

    @Test func loginErrorsKeepTheContractsAnswers() {
        let expected: [(LoginError, Int, String)] = [
            (.redirectNotAllowed, 400, "redirect_uri is not allowed"),
            (
                .returnTargetNotAllowed, 400,
                "rd must be a path on this site or an http(s) URL on a host of ALLOWED_REDIRECT_HOSTS"
            ),
            (.invalidState, 400, "Invalid or expired state parameter"),
            (.accessDenied, 400, "Authorization was denied"),
            (.malformedCode, 400, "Missing or malformed authorization code"),
            (.codeRejected, 400, "HeadHunter rejected the authorization code, please log in again"),
            (.notWhitelisted(hhUserID: "1001"), 403, "User 1001 is not allowed to access this service"),
            (.invalidExchangeCode, 400, "Invalid or expired exchange code"),
        ]
        for (error, status, detail) in expected {
            #expect(ErrorMapping.httpError(for: error) == HTTPError(status, detail))
        }
        #expect(
            ErrorMapping.httpError(for: LoginError.tooManyFromClient(retryAfterSeconds: 17))
                == HTTPError(
                    429, "Too many sign-ins from this address, try again later",
                    headers: [HTTPHeader("Retry-After", "17")]))
        #expect(
            ErrorMapping.httpError(for: LoginError.tooManyAtOnce)
                == HTTPError(
                    503, "Too many sign-ins at once, try again shortly", headers: [HTTPHeader("Retry-After", "2")]))
    }

    @Test func adminInputErrorsAre422NamingTheField() {
        #expect(
            ErrorMapping.httpError(for: AdminError.invalidUserID) == HTTPError(422, "hh_user_id must be 1 to 20 digits")
        )
        #expect(
            ErrorMapping.httpError(for: AdminError.invalidGroupName)
                == HTTPError(
                    422,
                    "groups must be names of 1 to 32 characters a-z, 0-9, _ and -, starting with a letter or digit"))
        #expect(
            ErrorMapping.httpError(for: AdminError.tooManyGroups)
                == HTTPError(422, "groups must hold at most 16 names"))
    }

    @Test func hhUnavailableIs502() throws {
        let mapped = try #require(ErrorMapping.httpError(for: HHClientError.unavailable("connection refused")))
        #expect(mapped.status == 502)
        #expect(mapped.detail == "HeadHunter is unavailable, try again later")
        #expect(!mapped.detail.contains("refused"))
        #expect(ErrorMapping.httpError(for: HHClientError.invalidGrant(.badToken))?.status == 502)
    }

    @Test func hhBusyIs503WithRetryAfter() throws {
        let mapped = try #require(ErrorMapping.httpError(for: HHClientError.busy))
        #expect(mapped.status == 503)
        #expect(mapped.headers.contains(HTTPHeader("Retry-After", "5")))
    }

    @Test(arguments: [ResultCode.SQLITE_BUSY, .SQLITE_FULL, .SQLITE_LOCKED, .SQLITE_IOERR, .SQLITE_READONLY])
    func transientDatabaseErrorsAre503(code: ResultCode) throws {
        let error = DatabaseError(resultCode: code, message: "secret SQL text", sql: "SELECT * FROM sessions")
        let mapped = try #require(ErrorMapping.httpError(for: error))
        #expect(mapped.status == 503)
        #expect(!mapped.detail.contains("SQL"))
        #expect(mapped.headers.contains { $0.name == "Retry-After" })
    }

    @Test func otherDatabaseErrorsAreUnmapped() {
        #expect(ErrorMapping.httpError(for: DatabaseError(resultCode: .SQLITE_CONSTRAINT)) == nil)
        #expect(ErrorMapping.httpError(for: DatabaseError(resultCode: .SQLITE_ERROR, message: "no such table")) == nil)
    }

    @Test func httpErrorsPassThroughAndUnknownErrorsAreNil() {
        let error = HTTPError(422, "Field required: x")
        #expect(ErrorMapping.httpError(for: error) == error)
        #expect(ErrorMapping.httpError(for: SomethingElse()) == nil)
        #expect(ErrorMapping.httpError(for: VaultError.cannotDecrypt) == nil)
    }

    /// Values carrying secrets describe themselves without them, should one ever reach a log line.
    @Test func secretCarryingValuesDescribeThemselvesWithoutTheSecret() {
        let credentials = AdminCredentials(username: "admin", password: "s3cret-pass")
        #expect(!String(describing: credentials).contains("s3cret-pass"))
        #expect(String(describing: credentials).contains("admin"))
        let callback = LoginFlow.Callback(
            state: "state-value-123", code: "code-value-456", error: nil, loginCookie: "cookie-value-789")
        #expect(!"\(callback)".contains("state-value-123"))
        #expect(!"\(callback)".contains("cookie-value-789"))
        #expect(!"\(callback)".contains("code-value-456"))
    }
}
