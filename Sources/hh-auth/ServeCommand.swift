import ArgumentParser
import FastCGI
import FastCGIHTTP
import Foundation
import HHAuth
import Logging

/// `hh-auth serve`: reads the configuration from the environment (and `--env-file`, when given) and
/// serves FastCGI until SIGTERM.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Serve FastCGI requests.")

    /// Only what is named: under systemd the unit's `EnvironmentFile=` is already the environment.
    @OptionGroup var settings: SettingsOptions

    func run() throws {
        TerminationSignal.install()
        // The database holds encrypted tokens and hashes: nobody else needs to read it. The FastCGI
        // socket gets its 0660 explicitly.
        umask(0o077)
        MemoryTuning.apply()
        let parser = ConfigurationParser(
            settings: try StartupFailure.exitOnError { try settings.settings(defaults: nil) })
        let configuration = try StartupFailure.exitOnError { try parser.parse() }
        let listener = try StartupFailure.exitOnError { try ListenerSettings(parser) }
        let logFormat = try StartupFailure.exitOnError { try LogFormat(parser) }
        if let path = configuration.database.sqlitePath { try DatabaseOwner.refuseRootOnAnotherUsersFile(path) }
        LogSetup.bootstrap(level: configuration.logLevel, format: logFormat)
        let logger = Logger(label: "hh-auth")

        let address: ListenAddress
        if let configured = listener.address {
            address = configured
        } else if ListenAddress.standardInputIsListeningSocket() {
            address = .inherited(descriptor: 0)
        } else {
            throw StartupFailure.exit(
                "FCGI_SOCKET: not set, and fd 0 is not a listening socket (systemd socket activation)")
        }
        let gateway = try StartupFailure.exitOnError { try Gateway(configuration: configuration, logger: logger) }
        let server = try StartupFailure.exitOnError {
            try FastCGIServer(
                address: address,
                options: .init(
                    workerCount: configuration.workerThreads, maxBodyBytes: 64 * 1024,
                    stopTimeoutSeconds: configuration.shutdownTimeoutSeconds, peers: listener.peers,
                    events: { ServerEventLog.log($0, to: logger) }),
                responder: FastCGIHTTPResponder(gateway.application))
        }
        // After the checks that may stop start-up: a refusal stays the one line an operator reads.
        for warning in parser.warnings() + ListenerSettings.warnings(parser) { logger.warning("\(warning)") }
        gateway.janitor.start(intervalSeconds: configuration.janitorIntervalSeconds)
        MemoryTuning.startTrimming()
        server.stopOnTerminationSignal { signal in
            logger.notice("shutting down", metadata: ["signal": "\(signal)"])
        }
        logger.notice(
            "listening",
            metadata: [
                "address": "\(address)", "workers": "\(configuration.workerThreads)",
                "version": "\(HHAuthVersion.current)", "database": "\(configuration.database)",
            ])
        let cut: Int
        do {
            cut = try server.run()
        } catch {
            // Exit non-zero, so systemd (Restart=on-failure) starts a working process.
            logger.critical("stopped: the workers failed", metadata: ["error": "\(error)"])
            gateway.finish()
            // As below: threads may still run, so no exit-time destructors under them.
            _exit(1)
        }
        gateway.finish()
        if cut > 0 {
            logger.error(
                "stopped after the shutdown timeout; unfinished requests were cut",
                metadata: ["requests_cut": "\(cut)", "timeout_seconds": "\(configuration.shutdownTimeoutSeconds)"])
            // Workers still wait on HH or the disk: end the process without running exit-time
            // destructors under them. The log lines are written already (one write(2) each).
            _exit(0)
        }
        logger.notice("stopped")
    }
}
