// How the simulated card answers when an operation needs a touch.

/// `auto` approves at once, `deny` behaves as a touch timeout (the card answers 6982, as a
/// YubiKey does when nobody touches it), `delay(ms)` approves after the given time so a client
/// can be seen printing "touch your YubiKey" while it waits.
public enum TouchMode: Equatable, CustomStringConvertible {
    case auto
    case deny
    case delay(milliseconds: Int)

    /// Parses `auto`, `deny` or a number of milliseconds (the CLI and control-file syntax).
    public init?(_ text: String) {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        switch t {
        case "auto": self = .auto
        case "deny": self = .deny
        default:
            guard let ms = Int(t), ms >= 0, ms <= 600_000 else { return nil }
            self = .delay(milliseconds: ms)
        }
    }

    public var description: String {
        switch self {
        case .auto: return "auto"
        case .deny: return "deny"
        case .delay(let ms): return String(ms)
        }
    }
}

import Foundation
