#if canImport(Glibc)
import Glibc
#endif

/// Starts a pthread that runs `body` — a media thread's or an analysis thread's loop, which holds
/// its object strongly for as long as it runs. Returns the thread; throws pthread_create's error code.
///
/// - Realtime: unsafe (creates a thread); control thread.
func startThread(_ body: @escaping () -> Void) throws(ThreadStartError) -> pthread_t {
    let box = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(&thread, nil, { arg in
        Unmanaged<ThreadBody>.fromOpaque(arg!).takeRetainedValue().run()
        return nil
    }, box)
    guard rc == 0 else {
        Unmanaged<ThreadBody>.fromOpaque(box).release()
        throw ThreadStartError(code: rc)
    }
    return thread
}

/// pthread_create's error code.
struct ThreadStartError: Error { let code: Int32 }

/// What `startThread` hands the new thread through pthread_create's one pointer.
private final class ThreadBody {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}
