import Foundation

/// Runs `body(0..<count)` on `count` threads of their own, released together once every thread
/// has started (a barrier, not a sleep), and returns when all have finished or `timeoutSeconds`
/// passed (false then). `DispatchQueue.concurrentPerform` would run only as many at once as
/// there are cores.
@discardableResult
func onThreadsAtOnce(_ count: Int, timeoutSeconds: Double = 60, _ body: @escaping @Sendable (Int) -> Void) -> Bool {
    let ready = DispatchSemaphore(value: 0)
    let finished = DispatchGroup()
    let start = NSCondition()
    let released = LockedBox(false)
    for index in 0..<count {
        finished.enter()
        Thread {
            ready.signal()
            start.lock()
            while !released.value { start.wait() }
            start.unlock()
            body(index)
            finished.leave()
        }.start()
    }
    for _ in 0..<count { ready.wait() }
    start.lock()
    released.update { $0 = true }
    start.broadcast()
    start.unlock()
    return finished.wait(timeout: .now() + timeoutSeconds) == .success
}
