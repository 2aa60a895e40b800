import Foundation
import Testing
import WorkerThreads

/// Records what it hears; used from the one thread it is bound to.
private final class Recorder: SlowWaitObserver, @unchecked Sendable {
    var events: [String] = []
    func slowWaitBegins() { events.append("begins") }
    func slowWaitEnds() { events.append("ends") }
}

/// Runs `body` on a thread of its own (the binding is per thread) and waits for it.
private func onNewThread(_ body: @escaping @Sendable () -> Void) {
    let done = DispatchSemaphore(value: 0)
    Thread {
        body()
        done.signal()
    }.start()
    done.wait()
}

@Suite("BlockingCall")
struct BlockingCallTests {
    @Test func theBoundObserverHearsTheOutermostWaitOnce() {
        let recorder = Recorder()
        let results = Lock<[Int]>([])
        onNewThread {
            BlockingCall.bind(recorder)
            let value = BlockingCall.run {
                recorder.events.append("body")
                return BlockingCall.run { 41 } + 1
            }
            results.withLock { $0.append(value) }
            BlockingCall.bind(nil)
            BlockingCall.run { results.withLock { $0.append(0) } }
        }
        #expect(recorder.events == ["begins", "body", "ends"])
        #expect(results.withLock { $0 } == [42, 0])
    }

    @Test func aThrownErrorStillEndsTheWait() {
        struct Failure: Error {}
        let recorder = Recorder()
        onNewThread {
            BlockingCall.bind(recorder)
            #expect(throws: Failure.self) { try BlockingCall.run { () throws(Failure) in throw Failure() } }
            BlockingCall.bind(nil)
        }
        #expect(recorder.events == ["begins", "ends"])
    }

    /// Another thread's observer is not this thread's: bindings are per thread.
    @Test func anUnboundThreadJustRunsTheBody() {
        let recorder = Recorder()
        onNewThread {
            BlockingCall.bind(recorder)
            onNewThread { _ = BlockingCall.run { 1 } }
            BlockingCall.bind(nil)
        }
        #expect(recorder.events.isEmpty)
    }

    /// The thread keeps its observer alive while bound, and lets it go when unbound.
    @Test func bindingRetainsTheObserverUntilUnbound() {
        final class Watch: @unchecked Sendable {
            weak var observer: Recorder?
            var aliveWhileBound = false
        }
        let watch = Watch()
        onNewThread {
            var recorder: Recorder? = Recorder()
            BlockingCall.bind(recorder)
            watch.observer = recorder
            recorder = nil
            watch.aliveWhileBound = watch.observer != nil
            BlockingCall.bind(nil)
        }
        #expect(watch.aliveWhileBound)
        #expect(watch.observer == nil)
    }
}
