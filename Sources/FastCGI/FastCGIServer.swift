import CFastCGI
import Synchronization
import WorkerThreads

#if canImport(Glibc)
    import Glibc
#endif

/// A FastCGI server on libfcgi: N worker threads, each owning one `FCGX_Request`, sharing one
/// epoll set that holds the listening socket and every idle connection nginx keeps open
/// (`fastcgi_keep_conn`). Only a few of them run at a time; the rest stand by for when those
/// wait on something slow (``WorkerGate``, ``BlockingCall``).
///
/// Why not the classic loop of `FCGX_Accept_r` on the listening socket: with kept connections a
/// worker would sit in `read()` on an idle connection and accept nothing else, while nginx opens
/// new connections whenever it has more requests in flight than idle ones. Once every worker is
/// parked, new requests wait in the backlog until nginx drops an idle connection (a minute). Here
/// an idle connection costs an epoll entry, not a thread: whichever worker epoll wakes serves the
/// request on its own thread (no hand-off), then re-arms the connection.
///
/// ``stop()`` makes ``run()`` return once in-flight requests are answered, or once
/// ``Options/stopTimeoutSeconds`` have passed, whichever comes first. A listening socket we
/// opened is shut down at once, so nginx is refused (and answers 502) instead of queueing requests
/// nobody will accept; an inherited one is left intact: under systemd it belongs to the socket
/// unit and must survive a restart, with what is queued on it.
public final class FastCGIServer: Sendable {
    public struct Options: Sendable {
        /// Threads, each able to hold one request; enough for the slow waits to come.
        public var workerCount: Int
        /// How many of them run requests at once outside slow waits (see ``BlockingCall``);
        /// nil: twice the CPUs.
        public var runningLimit: Int?
        public var maxBodyBytes: Int
        /// How long ``stop()`` lets requests run before their connections are cut and ``run()``
        /// returns: longer than the longest legitimate request, shorter than the supervisor's kill.
        public var stopTimeoutSeconds: Double
        /// Which TCP peers may connect (unix socket peers always may).
        public var peers: PeerPolicy
        /// Receives what the owner should log; called on worker threads.
        public var events: @Sendable (FastCGIServerEvent) -> Void
        public init(
            workerCount: Int = 32, runningLimit: Int? = nil, maxBodyBytes: Int = 64 * 1024,
            stopTimeoutSeconds: Double = 30,
            peers: PeerPolicy = .loopback, events: @escaping @Sendable (FastCGIServerEvent) -> Void = { _ in }
        ) {
            self.workerCount = workerCount
            self.runningLimit = runningLimit
            self.maxBodyBytes = maxBodyBytes
            self.stopTimeoutSeconds = stopTimeoutSeconds
            self.peers = peers
            self.events = events
        }
    }

    private let listenDescriptor: Int32
    /// False for a socket systemd handed us: that one is never shut down.
    private let ownsListeningSocket: Bool
    private let options: Options
    private let responder: any FastCGIResponder
    let poller: ConnectionPoller
    private let gate: WorkerGate
    private let roster = WorkerRoster()
    private let stopping = Atomic<Bool>(false)
    /// Connections whose request a worker is answering, for ``stop()`` to cut once its time is
    /// up. Sharded like the poller's idle set: every request passes here twice.
    private let inFlight = (0..<16).map { _ in Lock<Set<Int32>>([]) }

    /// Opens the listening socket at once, so a bad address fails before anything else starts.
    public init(address: ListenAddress, options: Options, responder: any FastCGIResponder) throws(FastCGIError) {
        guard FCGX_Init() == 0 else { throw FastCGIError("FCGX_Init failed") }
        self.listenDescriptor = try ListeningSocket.open(address)
        if case .inherited = address { self.ownsListeningSocket = false } else { self.ownsListeningSocket = true }
        self.options = options
        self.responder = responder
        self.poller = try ConnectionPoller(listening: listenDescriptor, peers: options.peers, report: options.events)
        let processors = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        self.gate = WorkerGate(limit: min(max(1, options.workerCount), options.runningLimit ?? 2 * processors))
        signal(SIGPIPE, SIG_IGN)
    }

    /// Runs the workers until ``stop()``. Returns when all of them have finished, or when the stop
    /// timeout has passed: then the connections of unfinished requests are cut (the web server
    /// answers 502) and their number is returned; the workers still waiting are abandoned, to end
    /// with the process. Throws when a worker failed beyond recovery (the server stopped itself):
    /// the process should exit non-zero so its supervisor restarts it.
    @discardableResult
    public func run() throws(FastCGIError) -> Int {
        var started = 0
        var creationError: Int32 = 0
        for _ in 0..<max(1, options.workerCount) {
            let context = Unmanaged.passRetained(self).toOpaque()
            var thread = pthread_t()
            roster.joined()
            let created = pthread_create(&thread, nil, fastCGIWorkerEntry, context)
            guard created == 0 else {
                creationError = created
                roster.left()
                Unmanaged<FastCGIServer>.fromOpaque(context).release()
                continue
            }
            pthread_detach(thread)
            started += 1
        }
        guard started > 0 else { throw FastCGIError(errno: creationError, "pthread_create") }
        var cut = 0
        if !roster.waitForWorkers() {
            cut = inFlight.reduce(0) { total, shard in
                total
                    + shard.withLock { descriptors in
                        // shutdown, not close: the worker still holds the number, and a closed
                        // one could be reused (for the database file) before it writes again.
                        descriptors.forEach { shutdown($0, Int32(SHUT_RDWR)) }
                        return descriptors.count
                    }
            }
        }
        cut += poller.closeRemaining()
        if let failure = roster.failure { throw failure }
        return cut
    }

    /// Stops accepting; requests already received are answered; ``run()`` returns by the stop
    /// timeout. Safe to call from any thread, more than once.
    public func stop() {
        guard !stopping.exchange(true, ordering: .sequentiallyConsistent) else { return }
        poller.beginShutdown(takingBacklog: ownsListeningSocket)
        if ownsListeningSocket { shutdown(listenDescriptor, Int32(SHUT_RDWR)) }
        gate.stop()
        roster.setDeadline(inSeconds: options.stopTimeoutSeconds)
    }

    fileprivate func work() {
        var request = FCGX_Request()
        // No listening socket for libfcgi: connections come from the poller, and when libfcgi
        // gives up on one it must fail instead of blocking in accept().
        FCGX_InitRequest(&request, -1, 0)
        let seat = gate.seat()
        WorkerGate.bind(seat)
        var failure: FastCGIError?
        defer {
            WorkerGate.bind(nil)
            FCGX_Free(&request, 1)
            roster.left()
        }
        gate.takeTurn(seat)
        while true {
            switch poller.next(draining: stopping.load(ordering: .sequentiallyConsistent)) {
            case .stop:
                return
            case .failed(let code):
                failure = FastCGIError(errno: code, "epoll_wait")
            case .listening:
                // New connections join the set; their first request arrives like any other.
                // A broken listening socket during shutdown is our own doing.
                if let error = poller.acceptPending(), !stopping.load(ordering: .sequentiallyConsistent) {
                    failure = error
                }
            case .connection(let descriptor):
                serve(connection: descriptor, with: &request)
            }
            if let failure {
                // Whatever broke is likely shared: stop everyone, so the process exits and is restarted.
                if roster.recordFailure(failure) { options.events(.workerFailed(reason: failure.description)) }
                stop()
                return
            }
            if !seat.holdsTurn { gate.takeTurn(seat) }
        }
    }

    private func serve(connection descriptor: Int32, with request: inout FCGX_Request) {
        // A kept connection is a fresh start for libfcgi: `keepConnection = 1` stops the
        // Finish_r at the top of Accept_r from closing the descriptor we just handed it.
        request.keepConnection = 1
        request.ipcFd = descriptor
        guard FCGX_Accept_r(&request) >= 0 else {
            // The peer closed it (or sent garbage): libfcgi has closed the descriptor.
            request.ipcFd = -1
            return
        }
        let shard = inFlight[Int(descriptor) & 15]
        shard.withLock { _ = $0.insert(descriptor) }
        respond(&request)
        // Out of the set before libfcgi may close the descriptor.
        shard.withLock { _ = $0.remove(descriptor) }
        FCGX_Finish_r(&request)
        let kept = request.ipcFd
        request.ipcFd = -1
        guard kept >= 0 else { return }
        // After shutdown began, `rearm` closes it instead.
        poller.rearm(kept)
    }

    private func respond(_ request: inout FCGX_Request) {
        var incoming = FastCGIRequest(parameters: Self.readParams(request.envp))
        let declared = incoming.parameter("CONTENT_LENGTH").flatMap { Int($0) } ?? 0
        if declared > options.maxBodyBytes {
            incoming.bodyExceedsLimit = true
        } else if declared > 0 {
            let (body, exceeded) = Self.readBody(request.in, limit: options.maxBodyBytes)
            incoming.body = exceeded ? [] : body
            incoming.bodyExceedsLimit = exceeded
        }
        let response = responder.respond(to: incoming)
        // A client that went away makes these writes fail with EPIPE; SIGPIPE is ignored, so the
        // worker just finishes the request and moves on.
        Self.write(response.headerBlock(), to: request.out)
        if !response.body.isEmpty { Self.write(response.body, to: request.out) }
    }

    private static func write(_ bytes: [UInt8], to stream: UnsafeMutablePointer<FCGX_Stream>?) {
        _ = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { FCGX_PutStr($0.baseAddress, Int32($0.count), stream) }
        }
    }

    static func readParams(_ envp: FCGX_ParamArray?) -> [CGIField] {
        var params: [CGIField] = []
        guard var cursor = envp else { return params }
        params.reserveCapacity(32)
        while let entry = cursor.pointee {
            let bytes = UnsafeBufferPointer(
                start: UnsafeRawPointer(entry).assumingMemoryBound(to: UInt8.self), count: strlen(entry))
            if let parameter = FastCGIRequest.parameter(fromEnvironment: bytes) {
                params.append(parameter)
            }
            cursor += 1
        }
        return params
    }

    /// Reads the body, stopping once it holds more than `limit` bytes (at most one 4 KiB chunk
    /// more), so a lying client cannot make us buffer more.
    ///
    /// Through a scratch buffer on the stack: a zero-filled 16 KiB array per request cost as many
    /// instructions as decoding the body (callgrind, BENCHMARKS.md "Issue 15").
    static func readBody(_ stream: UnsafeMutablePointer<FCGX_Stream>?, limit: Int) -> ([UInt8], Bool) {
        var body: [UInt8] = []
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 4096) { chunk in
            while body.count <= limit {
                let read = FCGX_GetStr(chunk.baseAddress, Int32(chunk.count), stream)
                if read <= 0 { break }
                UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(chunk)[..<Int(read)]).withMemoryRebound(
                    to: UInt8.self
                ) { body.append(contentsOf: $0) }
            }
        }
        return body.count > limit ? ([], true) : (body, false)
    }
}

private func fastCGIWorkerEntry(_ raw: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let raw else { return nil }
    Unmanaged<FastCGIServer>.fromOpaque(raw).takeRetainedValue().work()
    return nil
}
