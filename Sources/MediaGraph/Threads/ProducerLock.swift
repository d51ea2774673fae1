#if canImport(Glibc)
import Glibc
#endif

/// A pthread mutex that serialises the producers of an SPSC ring (several I/O threads sending
/// commands to one media thread). A pthread mutex rather than `Synchronization.Mutex` so that
/// ThreadSanitizer sees the ordering it provides.
///
/// - Threading: any thread but a media thread.
/// - Ownership: allocates the mutex at init, destroys it in deinit.
/// - Realtime: unsafe (blocks); never taken on a media thread.
final class ProducerLock: @unchecked Sendable {
    // @unchecked Sendable: the pthread mutex is the synchronisation.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    init() { pthread_mutex_init(mutex, nil) }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}
