import Foundation
import Prometheus
import Testing
import WorkerThreads

@testable import HHAuth

/// Second review of issue 14 (N7): the monitor of a duty on the shared state does not blame the
/// database for this node's own turn, and does not write two lines per request when the duty
/// flaps.
@Suite("Shared state monitor")
struct SharedStateMonitorTests {
    private let logs = LogCapture()
    private let registry = PrometheusCollectorRegistry()
    private let uptime = Lock(1_000.0)
    private let monitor: SharedStateMonitor

    init() {
        let uptime = uptime
        monitor = SharedStateMonitor(
            duty: "admin throttle", meanwhile: "admin API answers 503", logger: logs.logger,
            errors: DatabaseErrorMetrics(registry: registry).counting(for: .postgreSQL),
            uptime: { uptime.withLock { $0 } })
    }

    private func lines(_ message: String) -> [LogCapture.Entry] { logs.all.filter { $0.message == message } }

    private func databaseErrors(_ kind: String) -> Double {
        var exposition: [UInt8] = []
        registry.emit(into: &exposition)
        return Exposition(exposition).value(#"hh_auth_database_errors_total{kind="\#(kind)"}"#)
    }

    private func advance(_ seconds: Double) { uptime.withLock { $0 += seconds } }

    @Test func thisNodesTurnIsNotADatabaseError() throws {
        for _ in 0..<3 { monitor.failed(LocalTurnTimeout(duty: "the admin throttle", seconds: 1)) }
        #expect(databaseErrors("busy") == 0)
        #expect(databaseErrors("other") == 0)
        #expect(lines("the state the nodes share cannot be reached").isEmpty)
        let line = try #require(lines("this node's turn at the shared state is busy").first)
        #expect(lines("this node's turn at the shared state is busy").count == 1)
        #expect(line.level == .warning)
        #expect(line.metadata["duty"] == "admin throttle")
        monitor.succeeded()
        #expect(lines("this node's turn at the shared state is free again").count == 1)
        #expect(lines("the state the nodes share is reachable again").isEmpty)
        // The database's own busy is counted as before.
        monitor.failed(StorageFailure(.busy, cause: "lock timeout"))
        #expect(databaseErrors("busy") == 1)
    }

    /// Failing and working by turns, request after request: two lines in the first minute, then
    /// one failure line a minute with the count, not two lines per request.
    @Test func aFlappingDutyWritesAtMostOneFailureLineAMinute() {
        for _ in 0..<10 {
            monitor.failed(StorageFailure(.busy, cause: "lock timeout"))
            monitor.succeeded()
            advance(1)
        }
        #expect(lines("the state the nodes share cannot be reached").count == 1)
        #expect(lines("the state the nodes share is reachable again").count == 1)
        #expect(databaseErrors("busy") == 10)
        advance(60)
        monitor.failed(StorageFailure(.busy, cause: "lock timeout"))
        let failing = lines("the state the nodes share cannot be reached")
        #expect(failing.count == 2)
        #expect(failing.last?.metadata["failures"] == "10 since the last line")
        monitor.succeeded()
        #expect(lines("the state the nodes share is reachable again").count == 2)
    }

    /// An outage that goes on: a line when it starts, then one a minute saying it still fails.
    @Test func aLastingOutageIsRepeatedOnceAMinuteWithTheCount() {
        for _ in 0..<5 {
            monitor.failed(StorageFailure(.unavailable, cause: "down"))
            advance(20)
        }
        #expect(lines("the state the nodes share cannot be reached").count == 1)
        let still = lines("the state the nodes share still cannot be reached")
        #expect(still.count == 1)
        #expect(still.first?.metadata["failures"] == "3 since the last line")
        #expect(databaseErrors("unavailable") == 5)
    }

    /// Third review's L-d: each kind keeps its own quiet period. The database failing seconds
    /// after this node's turn was busy is logged at once (it was quiet for up to a minute), and
    /// the way back: while both go on, each writes one line an interval, not one per change.
    @Test func aChangeOfKindIsLoggedAtOnce() {
        let busy = "this node's turn at the shared state is busy"
        let down = "the state the nodes share cannot be reached"
        monitor.failed(LocalTurnTimeout(duty: "the admin throttle", seconds: 1))
        advance(5)
        monitor.failed(StorageFailure(.unavailable, cause: "down"))
        #expect(lines(busy).count == 1)
        #expect(lines(down).count == 1)
        #expect(lines(down).first?.metadata["error"] == "down")
        for _ in 0..<3 {
            advance(5)
            monitor.failed(LocalTurnCrowded(duty: "the admin throttle", waiting: 4))
            monitor.failed(StorageFailure(.unavailable, cause: "down"))
        }
        #expect(lines(busy).count == 1)
        #expect(lines(down).count == 1)
        #expect(databaseErrors("unavailable") == 4)
        #expect(databaseErrors("other") == 0)
        // Both stand: each says it is over.
        monitor.succeeded()
        #expect(lines("the state the nodes share is reachable again").count == 1)
        #expect(lines("this node's turn at the shared state is free again").count == 1)
        // A kind's quiet period ends on its own clock: a minute after its line, not the other's.
        advance(41)
        monitor.failed(LocalTurnTimeout(duty: "the admin throttle", seconds: 1))
        monitor.failed(StorageFailure(.unavailable, cause: "down"))
        #expect(lines(busy).count == 2)
        #expect(lines(busy).last?.metadata["failures"] == "4 since the last line")
        #expect(lines(down).count == 1)
    }
}
