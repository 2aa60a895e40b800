import FastCGI
import Logging

/// Log lines for what the FastCGI server reports.
enum ServerEventLog {
    static func log(_ event: FastCGIServerEvent, to logger: Logger) {
        switch event {
        case .acceptPaused(let reason):
            logger.error(
                "out of file descriptors: accepting paused until some are free", metadata: ["error": "\(reason)"])
        case .acceptResumed:
            logger.notice("accepting connections again")
        case .peerRefused(let address, let alsoRefused):
            logger.warning(
                "refused a FastCGI connection: peer not allowed (FCGI_WEB_SERVER_ADDRS, default loopback)",
                metadata: ["peer": "\(address)", "also_refused_since_last_line": "\(alsoRefused)"])
        case .workerFailed(let reason):
            logger.critical("worker failed; stopping", metadata: ["error": "\(reason)"])
        }
    }
}
