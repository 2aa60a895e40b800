#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Waits for SIGTERM or SIGINT.
///
/// The handler only writes a byte to a pipe (async-signal-safe); ``wait()`` reads it on an ordinary
/// thread, where it is safe to log, stop the server and flush. `SA_RESTART` keeps the signal from
/// interrupting system calls on whichever thread it lands.
public enum TerminationSignal {
    nonisolated(unsafe) private static var pipeDescriptors: [Int32] = [-1, -1]

    /// Installs the handlers. Call once, early, before starting threads.
    public static func install() {
        // A parent may start us with these blocked (some process launchers do); threads created
        // later inherit this thread's mask, so unblock here, before any exist.
        SignalMask.unblock([SIGTERM, SIGINT])
        pipe(&pipeDescriptors)
        var action = sigaction()
        action.__sigaction_handler.sa_handler = terminationSignalHandler
        sigemptyset(&action.sa_mask)
        action.sa_flags = Int32(SA_RESTART)
        sigaction(SIGTERM, &action, nil)
        sigaction(SIGINT, &action, nil)
        signal(SIGPIPE, SIG_IGN)
    }

    /// Blocks until a termination signal arrives; returns its number.
    public static func wait() -> Int32 {
        var byte: UInt8 = 0
        while true {
            let count = read(pipeDescriptors[0], &byte, 1)
            if count == 1 { return Int32(byte) }
            if count < 0 && errno == EINTR { continue }
            return SIGTERM
        }
    }

    fileprivate static var writeDescriptor: Int32 { pipeDescriptors[1] }
}

/// The calling thread's signal mask.
enum SignalMask {
    static func unblock(_ signals: [Int32]) {
        change(SIG_UNBLOCK, signals)
    }

    private static func change(_ how: Int32, _ signals: [Int32]) {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal) }
        pthread_sigmask(how, &set, nil)
    }
}

private func terminationSignalHandler(_ signal: Int32) {
    var byte = UInt8(truncatingIfNeeded: signal)
    _ = write(TerminationSignal.writeDescriptor, &byte, 1)
}

extension FastCGIServer {
    /// Starts a thread that stops this server when SIGTERM or SIGINT arrives.
    /// ``TerminationSignal/install()`` must have been called first.
    public func stopOnTerminationSignal(_ onSignal: @escaping @Sendable (Int32) -> Void = { _ in }) {
        let context = Unmanaged.passRetained(SignalWatch(server: self, onSignal: onSignal)).toOpaque()
        var thread = pthread_t()
        if pthread_create(&thread, nil, signalWatchEntry, context) == 0 {
            pthread_detach(thread)
        } else {
            Unmanaged<SignalWatch>.fromOpaque(context).release()
        }
    }
}

private final class SignalWatch {
    let server: FastCGIServer
    let onSignal: @Sendable (Int32) -> Void
    init(server: FastCGIServer, onSignal: @escaping @Sendable (Int32) -> Void) {
        self.server = server
        self.onSignal = onSignal
    }
}

private func signalWatchEntry(_ raw: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let raw else { return nil }
    let watch = Unmanaged<SignalWatch>.fromOpaque(raw).takeRetainedValue()
    let signal = TerminationSignal.wait()
    watch.onSignal(signal)
    watch.server.stop()
    return nil
}
