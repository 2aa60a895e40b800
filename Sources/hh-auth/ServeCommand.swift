import ArgumentParser
import FastCGI
import Foundation
import HHAuth
import Logging

/// `hh-auth serve`: reads the configuration from the environment and serves FastCGI until SIGTERM.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Serve FastCGI requests.")

    func run() throws {
        TerminationSignal.install()
        // The database holds encrypted tokens and hashes: nobody else needs to read it. The FastCGI
        // socket gets its 0660 explicitly.
        umask(0o077)
        MemoryTuning.apply()
        let environment = ProcessInfo.processInfo.environment
        let configuration = try StartupFailure.exitOnError { try ConfigurationParser(settings: environment).parse() }
        LogSetup.bootstrap(level: configuration.logLevel)
        let logger = Logger(label: "hh-auth")

        let address: ListenAddress
        if let configured = configuration.listenAddress {
            address = configured
        } else if ListenAddress.standardInputIsListeningSocket() {
            address = .inherited(descriptor: 0)
        } else {
            throw StartupFailure.exit("FCGI_SOCKET: not set, and fd 0 is not a listening socket (systemd socket activation)")
        }
        let gateway = try StartupFailure.exitOnError { try Gateway(configuration: configuration, logger: logger) }
        let server = try StartupFailure.exitOnError {
            try FastCGIServer(
                address: address, options: .init(workerCount: configuration.workerThreads, maxBodyBytes: 64 * 1024),
                responder: gateway.application)
        }
        gateway.janitor.start(intervalSeconds: configuration.janitorIntervalSeconds)
        MemoryTuning.startTrimming()
        server.stopOnTerminationSignal { signal in
            logger.notice("shutting down", metadata: ["signal": "\(signal)"])
        }
        logger.notice(
            "listening",
            metadata: ["address": "\(address)", "workers": "\(configuration.workerThreads)", "version": "\(HHAuthVersion.current)"])
        server.run()
        gateway.finish()
        logger.notice("stopped")
    }
}
