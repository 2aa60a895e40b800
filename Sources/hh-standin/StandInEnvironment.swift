import FastCGI
import HHStandIn

/// What `hh-standin` reads from its environment.
struct StandInLaunchSettings: Sendable, Equatable {
    /// `FCGI_SOCKET`: where nginx connects.
    var address: ListenAddress
    /// `WORKER_THREADS`: many by default, so requests held by a `hang` failure leave workers for
    /// the control API and the other endpoints.
    var workerThreads: Int
    /// The responder's start-up settings (`STANDIN_*`).
    var standIn: StandInSettings

    /// `WORKER_THREADS` when unset.
    static let defaultWorkerThreads = 64

    /// Reads the environment; every value is checked, and the first bad one is the error.
    init(environment: [String: String]) throws(StandInEnvironmentError) {
        guard let socket = Self.value("FCGI_SOCKET", in: environment) else {
            throw StandInEnvironmentError("FCGI_SOCKET is required (a unix socket path or host:port)")
        }
        guard let address = ListenAddress(parsing: socket) else {
            throw StandInEnvironmentError("FCGI_SOCKET must be a unix socket path or host:port, got '\(socket)'")
        }
        self.address = address
        self.workerThreads = try Self.integer(
            "WORKER_THREADS", in: environment, range: 1...1024, default: Self.defaultWorkerThreads)
        var standIn = StandInSettings()
        standIn.tokenLifetimeSeconds = try Self.integer(
            "STANDIN_TOKEN_LIFETIME_SECONDS", in: environment, range: 1...(10 * 365 * 86_400),
            default: StandInSettings.hhTokenLifetimeSeconds)
        if let userID = Self.value("STANDIN_DEFAULT_USER_ID", in: environment) {
            guard UserProfile.isAcceptableID(userID) else {
                throw StandInEnvironmentError("STANDIN_DEFAULT_USER_ID must be 1-64 letters, digits, '-' or '_'")
            }
            standIn.defaultUserID = userID
        }
        standIn.clientID = Self.value("STANDIN_CLIENT_ID", in: environment)
        standIn.clientSecret = Self.value("STANDIN_CLIENT_SECRET", in: environment)
        self.standIn = standIn
    }

    /// An empty variable counts as unset, as shells and systemd units often leave them.
    private static func value(_ name: String, in environment: [String: String]) -> String? {
        guard let text = environment[name], !text.isEmpty else { return nil }
        return text
    }

    private static func integer(
        _ name: String, in environment: [String: String], range: ClosedRange<Int>, default fallback: Int
    ) throws(StandInEnvironmentError) -> Int {
        guard let text = value(name, in: environment) else { return fallback }
        guard let number = Int(text), range.contains(number) else {
            throw StandInEnvironmentError(
                "\(name) must be an integer in \(range.lowerBound)...\(range.upperBound), got '\(text)'")
        }
        return number
    }
}

/// A bad environment value; `hh-standin` prints the description and exits with status 2.
struct StandInEnvironmentError: Error, Sendable, Equatable, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
