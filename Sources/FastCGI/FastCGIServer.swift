import CFastCGI
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A FastCGI server on libfcgi: N worker threads, each owning one `FCGX_Request` and blocking in
/// `FCGX_Accept_r` on the shared listening socket.
///
/// ``stop()`` makes ``run()`` return once in-flight requests are answered. Idle workers sit in
/// `accept()` or, with `fastcgi_keep_conn`, in `read()` on a kept connection; libfcgi's own
/// shutdown flag wakes neither, so `stop()` interrupts exactly those threads with a signal.
/// The listening socket itself is left intact: under systemd it belongs to the socket unit and
/// must survive a restart.
public final class FastCGIServer: Sendable {
    public struct Options: Sendable {
        public var workerCount: Int
        public var maxBodyBytes: Int
        public init(workerCount: Int = 32, maxBodyBytes: Int = 64 * 1024) {
            self.workerCount = workerCount
            self.maxBodyBytes = maxBodyBytes
        }
    }

    private let listenDescriptor: Int32
    private let options: Options
    private let responder: any FastCGIResponder
    private let workers: Mutex<[WorkerState]>
    private let stopping = Atomic<Bool>(false)

    /// Opens the listening socket at once, so a bad address fails before anything else starts.
    public init(address: ListenAddress, options: Options, responder: any FastCGIResponder) throws(FastCGIError) {
        guard FCGX_Init() == 0 else { throw FastCGIError("FCGX_Init failed") }
        self.listenDescriptor = try ListeningSocket.open(address)
        self.options = options
        self.responder = responder
        self.workers = Mutex(Array(repeating: WorkerState(), count: max(1, options.workerCount)))
        WakeSignal.install()
    }

    /// Runs the workers and returns when all of them have finished after ``stop()``.
    public func run() {
        var threads: [pthread_t] = []
        for index in 0..<max(1, options.workerCount) {
            let context = Unmanaged.passRetained(WorkerContext(server: self, index: index)).toOpaque()
            var thread = pthread_t()
            guard pthread_create(&thread, nil, fastCGIWorkerEntry, context) == 0 else {
                Unmanaged<WorkerContext>.fromOpaque(context).release()
                continue
            }
            threads.append(thread)
        }
        for thread in threads {
            pthread_join(thread, nil)
        }
    }

    /// Stops accepting; in-flight requests finish. Safe to call from any thread, more than once.
    /// Returns when every worker has left, or after `timeoutSeconds`.
    @discardableResult
    public func stop(timeoutSeconds: Double = 10) -> Bool {
        stopping.store(true, ordering: .sequentiallyConsistent)
        let deadline = monotonicSeconds() + timeoutSeconds
        while monotonicSeconds() < deadline {
            let (waiting, running) = workers.withLock { states in
                (states.compactMap { $0.isWaiting ? $0.thread : nil }, states.filter { !$0.hasExited }.count)
            }
            if running == 0 { return true }
            // A worker may be between checking `stopping` and entering accept(), so keep nudging.
            for thread in waiting {
                pthread_kill(thread, WakeSignal.number)
            }
            usleep(10_000)
        }
        return false
    }

    /// Whether ``stop()`` has been called.
    public var isStopping: Bool { stopping.load(ordering: .relaxed) }

    fileprivate func work(index: Int) {
        let thread = pthread_self()
        workers.withLock { $0[index].thread = thread }
        var request = FCGX_Request()
        FCGX_InitRequest(&request, listenDescriptor, FCGI_FAIL_ACCEPT_ON_INTR)
        while !stopping.load(ordering: .sequentiallyConsistent) {
            workers.withLock { $0[index].isWaiting = true }
            if stopping.load(ordering: .sequentiallyConsistent) {
                workers.withLock { $0[index].isWaiting = false }
                break
            }
            let accepted = FCGX_Accept_r(&request)
            workers.withLock { $0[index].isWaiting = false }
            guard accepted >= 0 else { continue }
            serve(&request)
            FCGX_Finish_r(&request)
        }
        FCGX_Free(&request, 1)
        workers.withLock { $0[index].hasExited = true }
    }

    private func serve(_ request: inout FCGX_Request) {
        let params = Self.readParams(request.envp)
        var incoming = FastCGIRequest(params: params)
        let declared = params["CONTENT_LENGTH"].flatMap { Int($0) } ?? 0
        if declared > options.maxBodyBytes {
            incoming.bodyExceedsLimit = true
        } else if declared > 0 {
            let (body, exceeded) = Self.readBody(request.in, limit: options.maxBodyBytes)
            incoming.body = exceeded ? [] : body
            incoming.bodyExceedsLimit = exceeded
        }
        let response = responder.respond(to: incoming)
        let head = response.headerBlock()
        // A client that went away makes these writes fail with EPIPE; SIGPIPE is ignored, so the
        // worker just finishes the request and moves on.
        _ = head.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { FCGX_PutStr($0.baseAddress, Int32($0.count), request.out) }
        }
        if !response.body.isEmpty {
            _ = response.body.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { FCGX_PutStr($0.baseAddress, Int32($0.count), request.out) }
            }
        }
    }

    static func readParams(_ envp: FCGX_ParamArray?) -> [String: String] {
        var params: [String: String] = [:]
        guard var cursor = envp else { return params }
        while let entry = cursor.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                params[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            cursor += 1
        }
        return params
    }

    /// Reads the body, never more than `limit + 1` bytes, so a lying client cannot make us buffer more.
    static func readBody(_ stream: UnsafeMutablePointer<FCGX_Stream>?, limit: Int) -> ([UInt8], Bool) {
        var body: [UInt8] = []
        var chunk = [CChar](repeating: 0, count: 16 * 1024)
        while body.count <= limit {
            let read = chunk.withUnsafeMutableBufferPointer { FCGX_GetStr($0.baseAddress, Int32($0.count), stream) }
            if read <= 0 { break }
            chunk.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: UInt8.self) { body.append(contentsOf: $0.prefix(Int(read))) }
            }
        }
        return body.count > limit ? ([], true) : (body, false)
    }
}

private struct WorkerState: Sendable {
    var thread: pthread_t? = nil
    var isWaiting = false
    var hasExited = false
}

private final class WorkerContext {
    let server: FastCGIServer
    let index: Int
    init(server: FastCGIServer, index: Int) {
        self.server = server
        self.index = index
    }
}

private func fastCGIWorkerEntry(_ raw: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let raw else { return nil }
    let context = Unmanaged<WorkerContext>.fromOpaque(raw).takeRetainedValue()
    context.server.work(index: context.index)
    return nil
}

func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1_000_000_000
}
