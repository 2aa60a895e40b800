import CMalloc
import Foundation
import GRDBSQLite

#if canImport(Glibc)
    import Glibc
#endif

/// Memory settings for `serve`, made before any worker thread starts.
///
/// The 600-s soak saw RSS climb by tens of MiB with no leak (valgrind, heaptrack): SQLite's page
/// caches filling as the data grew, one pair per worker thread (all 32 take turns over time),
/// and glibc keeping freed memory in per-thread arenas. So: a soft limit on SQLite's heap (past
/// it, a cache reuses its own least recently used pages instead of growing), as many malloc
/// arenas as workers that run at once (the worker gate: 2 × CPUs), and a periodic `malloc_trim`
/// to hand free pages of every arena back to the kernel.
enum MemoryTuning {
    static let sqliteSoftHeapLimitBytes: Int64 = 16 << 20

    static func apply() {
        let processors = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        _ = mallopt(M_ARENA_MAX, Int32(2 * processors))
        _ = sqlite3_soft_heap_limit64(sqliteSoftHeapLimitBytes)
    }

    /// Trims every `intervalSeconds` on a thread of its own, for the life of the process.
    static func startTrimming(intervalSeconds: UInt32 = 30) {
        let thread = Thread { trimForever(intervalSeconds: intervalSeconds) }
        thread.name = "malloc-trim"
        thread.start()
    }

    private static func trimForever(intervalSeconds: UInt32) {
        while true {
            sleep(intervalSeconds)
            _ = malloc_trim(0)
        }
    }
}
