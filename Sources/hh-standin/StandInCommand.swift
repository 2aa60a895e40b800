import FastCGI
import FastCGIHTTP
import Foundation
import HHStandIn
import Logging

/// The `hh-standin` program: reads the environment, serves FastCGI until SIGTERM/SIGINT, exits 0.
///
/// Lives here rather than in `main.swift` because code at the top level of `main.swift` is
/// main-actor isolated, and the thread that waits for the signal must not be.
enum StandInCommand {
    /// Runs the stand-in; never returns. Exit status: 0 after a signal, 2 for a bad environment
    /// value, 1 when the socket cannot be opened.
    static func main() -> Never {
        let settings: StandInLaunchSettings
        do {
            settings = try StandInLaunchSettings(environment: ProcessInfo.processInfo.environment)
        } catch {
            fail("hh-standin: \(error.description)", status: 2)
        }
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        let logger = Logger(label: "hh-standin")
        TerminationSignal.install()
        let responder = StandInResponder(settings: settings.standIn)
        let server: FastCGIServer
        do {
            server = try FastCGIServer(
                address: settings.address, options: FastCGIServer.Options(workerCount: settings.workerThreads),
                responder: FastCGIHTTPResponder(RequestLoggingResponder(responder, logger: logger)))
        } catch {
            fail("hh-standin: \(error.description)", status: 1)
        }
        logger.info("hh-standin listening on \(settings.address) with \(settings.workerThreads) workers")
        let stopper = Thread { stopOnSignal(server: server, responder: responder, logger: logger) }
        stopper.start()
        do {
            try server.run()
        } catch {
            fail("hh-standin: \(error.description)", status: 1)
        }
        exit(0)
    }

    /// Waits for SIGTERM/SIGINT, lets hanging requests go, and stops the server so `run()` returns.
    private static func stopOnSignal(server: FastCGIServer, responder: StandInResponder, logger: Logger) {
        let signal = TerminationSignal.wait()
        logger.info("hh-standin stopping on signal \(signal)")
        responder.releaseHangingRequests()
        server.stop()
    }

    private static func fail(_ line: String, status: Int32) -> Never {
        FileHandle.standardError.write(Data((line + "\n").utf8))
        exit(status)
    }
}
