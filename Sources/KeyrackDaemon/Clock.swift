#if canImport(Glibc)
import Glibc
#endif

/// The two clocks the daemon needs. Expiry is measured on `CLOCK_BOOTTIME`, which keeps counting
/// through suspend and ignores wall-clock changes, so a grant for 30 minutes never lives longer
/// because someone set the date back or the laptop slept. Wall-clock time is used only to
/// report an expiry to humans.
public enum Clock {
    /// Milliseconds since boot, suspend included.
    public static func bootMilliseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_BOOTTIME, &ts)
        return UInt64(ts.tv_sec) &* 1000 &+ UInt64(ts.tv_nsec) / 1_000_000
    }

    /// Milliseconds from `earlier` to `now`, both boot-clock readings; 0 when `earlier` is the later
    /// one. A time another thread stamped after this one read its clock is newer than `now`, not
    /// 2^64 ms old: an unsigned `now &- earlier` wraps there, and the daemon once took a request
    /// it had just answered for a 15-minute silence and exited under its client.
    public static func elapsed(since earlier: UInt64, now: UInt64) -> UInt64 {
        now > earlier ? now - earlier : 0
    }

    /// Milliseconds since the Unix epoch (wall clock), for display only.
    public static func wallMilliseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(ts.tv_sec) &* 1000 &+ UInt64(ts.tv_nsec) / 1_000_000
    }
}
