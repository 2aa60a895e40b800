import FastCGI
import HHStandIn
import Testing

@testable import hh_standin

@Suite("hh-standin environment")
struct LaunchSettingsTests {
    @Test func defaults() throws {
        let settings = try StandInLaunchSettings(environment: ["FCGI_SOCKET": "/run/hh-standin.sock"])
        #expect(settings.address == .unixSocket(path: "/run/hh-standin.sock"))
        #expect(settings.workerThreads == 64)
        #expect(settings.standIn == StandInSettings())
        #expect(settings.standIn.tokenLifetimeSeconds == 1_209_600)
        #expect(settings.standIn.clientID == nil)
    }

    @Test func everyVariable() throws {
        let settings = try StandInLaunchSettings(environment: [
            "FCGI_SOCKET": "127.0.0.1:9001", "WORKER_THREADS": "8", "STANDIN_DEFAULT_USER_ID": "123",
            "STANDIN_CLIENT_ID": "id", "STANDIN_CLIENT_SECRET": "secret", "STANDIN_TOKEN_LIFETIME_SECONDS": "2",
        ])
        #expect(settings.address == .tcp(host: "127.0.0.1", port: 9001))
        #expect(settings.workerThreads == 8)
        #expect(
            settings.standIn
                == StandInSettings(
                    clientID: "id", clientSecret: "secret", tokenLifetimeSeconds: 2, defaultUserID: "123"))
    }

    @Test(arguments: [
        [:],
        ["FCGI_SOCKET": "nowhere"],
        ["FCGI_SOCKET": "/s", "WORKER_THREADS": "0"],
        ["FCGI_SOCKET": "/s", "WORKER_THREADS": "many"],
        ["FCGI_SOCKET": "/s", "STANDIN_TOKEN_LIFETIME_SECONDS": "-1"],
        ["FCGI_SOCKET": "/s", "STANDIN_DEFAULT_USER_ID": "a b"],
    ])
    func badValuesAreRefused(environment: [String: String]) {
        #expect(throws: StandInEnvironmentError.self) { try StandInLaunchSettings(environment: environment) }
    }
}
