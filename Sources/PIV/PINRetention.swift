import Foundation

/// What a card connection leaves behind once a PIN was verified on it.
///
/// A YubiKey keeps a verified PIN until it is reset, powered off or another applet is selected,
/// whoever sends the next command. Where pcscd decides who may talk to a card (polkit), the
/// next command is the same user's, and PIN policy `once` can mean "once per card session".
/// Where it does not (Debian 12's pcscd: no polkit, socket 0666), the next command may be any
/// local user's: a verification left on the card is a PIN given to all of them.
public enum PINRetention: Sendable, Equatable {
    /// Leave the card as it is: a PIN verified with policy `once` stays verified for the next
    /// connection within pcscd's power-off grace period (and while any connection is open).
    case keepVerified
    /// From the command that verifies a PIN until the connection closes, hold a PC/SC
    /// transaction (no other connection's command reaches the card in between), and reset the
    /// card on close: nobody inherits the verification.
    case resetAfterUse
}

/// The process's answer, told once by the program that knows how pcscd is set up (keyrack asks
/// `PcscdAccess`): the PIV layer reads no configuration and runs no pcscd of its own. Until told,
/// and in any program that never tells, the safe answer: reset.
public enum PINRetentionPolicy {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var provider: (@Sendable () -> PINRetention)?
    nonisolated(unsafe) private static var decided: PINRetention?

    /// Sets how the answer is found; `decide` runs once, at the first PIN verification (so a
    /// command that never verifies a PIN never pays for asking).
    public static func tell(_ decide: @escaping @Sendable () -> PINRetention) {
        lock.lock(); defer { lock.unlock() }
        provider = decide
        decided = nil
    }

    /// The answer for this process.
    public static var current: PINRetention {
        lock.lock(); defer { lock.unlock() }
        if let decided { return decided }
        let answer = provider?() ?? .resetAfterUse
        decided = answer
        return answer
    }
}
