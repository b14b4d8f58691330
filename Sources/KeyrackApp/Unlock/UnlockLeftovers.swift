import Locking

/// What becomes of an unlock's working set (the opened manifest, the entries chosen, the plan,
/// the requests sent) once `Unlock.run` is done with it. Every value in it is wiped where it
/// lives first, either way: only the giving back of the memory differs.
public enum UnlockLeftovers: Sendable {
    /// Freed as `run` returns: right for a caller that lives on (the default).
    case freed
    /// Kept until the process exits (`KeptUntilExit`): for a process that ends right after the
    /// unlock, `keyrack unlock`, whose exit gives it all back at once. Freed piece by piece, the
    /// entries, grants and requests of 10 000 keys were 2 ms of its wall time (issue 32).
    case keptUntilExit
}

/// What a process about to exit keeps instead of freeing piece by piece: the kernel takes the
/// whole heap back at exit. Only ever for values whose secrets are already wiped in place, and
/// only in a process that exits soon (a long-lived caller would keep it all for nothing).
public enum KeptUntilExit {
    private static let held = Locked<[Any]>([])

    public static func keep(_ value: Any) { held.withLock { $0.append(value) } }

    /// How many values are kept (for tests).
    public static var count: Int { held.withLock { $0.count } }

    /// The values kept (for tests).
    static var kept: [Any] { held.withLock { $0 } }
}
