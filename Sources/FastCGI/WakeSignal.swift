#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The signal used to interrupt a worker blocked in `accept()`/`read()` during shutdown.
///
/// Installed without `SA_RESTART`, so the blocked call returns `EINTR` and libfcgi (with
/// `FCGI_FAIL_ACCEPT_ON_INTR`) gives up instead of retrying. SIGUSR1 is libfcgi's own.
enum WakeSignal {
    static let number = SIGUSR2

    static func install() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = wakeSignalHandler
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(number, &action, nil)
        SignalMask.unblock([number])
        // A client that hangs up mid-response must never kill the process.
        signal(SIGPIPE, SIG_IGN)
    }
}

private func wakeSignalHandler(_: Int32) {}
