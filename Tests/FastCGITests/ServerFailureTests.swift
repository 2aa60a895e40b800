import Foundation
import Testing
import WorkerThreads

@testable import FastCGI

/// A responder that answers 200 with an empty body.
private struct Empty: FastCGIResponder {
    func respond(to request: FastCGIRequest) -> FastCGIResponse { FastCGIResponse(status: 200) }
}

/// ``FastCGIServer/run()`` in a thread, with what it ended with.
private final class RunningServer: @unchecked Sendable {
    let server: FastCGIServer
    let ended = DispatchSemaphore(value: 0)
    private let outcome = Lock<Result<Int, FastCGIError>?>(nil)

    init(_ server: FastCGIServer) {
        self.server = server
        Thread { [self] in
            let result = Result { () throws(FastCGIError) -> Int in try server.run() }
            outcome.withLock { $0 = result }
            ended.signal()
        }.start()
    }

    var result: Result<Int, FastCGIError>? { outcome.withLock { $0 } }
}

@Suite("FastCGIServer failures")
struct ServerFailureTests {
    /// An `epoll_wait` failure cannot be provoked from outside the process; inside, replacing the
    /// epoll descriptor with something else (here /dev/null) makes the next `epoll_wait` fail for
    /// real with EINVAL. The worker must not just vanish: the server stops and `run()` throws, so
    /// `serve` exits non-zero and systemd restarts it.
    @Test func anEpollFailureStopsTheServerAndRunThrows() throws {
        let directory = NSTemporaryDirectory() + "fcgifail-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/s.sock"
        let server = try FastCGIServer(
            address: .unixSocket(path: path), options: .init(workerCount: 1, stopTimeoutSeconds: 2), responder: Empty())
        let running = RunningServer(server)

        let nowhere = open("/dev/null", O_RDONLY)
        #expect(dup2(nowhere, server.poller.epoll) == server.poller.epoll)
        close(nowhere)
        // The worker still waits on the old epoll set; a connection wakes it, and its next wait
        // meets the broken descriptor.
        let client = try connectUnix(path)
        defer { close(client) }

        #expect(running.ended.wait(timeout: .now() + 10) == .success, "run() did not return")
        guard case .failure(let error) = running.result else {
            Issue.record("run() returned \(String(describing: running.result)) instead of throwing")
            return
        }
        #expect(error.description.hasPrefix("epoll_wait"), "\(error)")
    }
}

private func connectUnix(_ path: String) throws -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        raw.copyBytes(from: path.utf8)
        raw[path.utf8.count] = 0
    }
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    }
    guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
    return fd
}
