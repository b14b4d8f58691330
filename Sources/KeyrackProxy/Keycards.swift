#if canImport(Glibc)
import Glibc
#endif
import Foundation
import KeyrackNames
import Locking
import SecretBytes

/// One key as the proxy holds it: the placeholder the program has, the value, and where the
/// value may go. The value never leaves this process except in a request to one of `destinations`.
public struct Keycard: Sendable {
    /// For messages only (the variable's name, e.g. GITHUB_TOKEN).
    public let name: String
    public let placeholder: [UInt8]
    var value: [UInt8]
    public let destinations: [Destination]
    /// Boot-clock milliseconds after which the grant is gone and the value is no longer put in
    /// (requests then carry the placeholder); nil: for as long as the run lasts.
    public let expiresAtMilliseconds: UInt64?
    /// The grant's slug, asked about before each use when the proxy has a liveness check.
    public let slug: String?

    public init(name: String, placeholder: [UInt8], value: [UInt8], destinations: [Destination], expiresAtMilliseconds: UInt64? = nil,
                slug: String? = nil) {
        self.slug = slug
        self.name = name
        self.placeholder = placeholder
        self.value = value
        self.destinations = destinations
        self.expiresAtMilliseconds = expiresAtMilliseconds
    }
}

/// How a value is written where a placeholder stood, so it cannot change the meaning of what
/// surrounds it: as is in a header (a value with CR, LF or NUL is never put in one), percent-
/// encoded in a request target or a form body, JSON-escaped in a JSON body.
public enum Encoding: Sendable {
    case header, percent, json, raw
}

/// The keycards of one run, shared by every connection of its proxy (hence the lock; the
/// closures it is handed are called from those connections' threads, so they are @Sendable).
public final class Keycards: Sendable {
    private struct State {
        var cards: [Keycard]
        var expiredNoted: Set<Int> = []
        var substitutions = 0
        var relockNoted: Set<Int> = []
        var onSubstitution: (@Sendable (Int) -> Void)?
    }
    private let state: Locked<State>
    private let now: @Sendable () -> UInt64
    private let note: @Sendable (String) -> Void
    private let live: (@Sendable () -> Set<String>)?
    /// Told the running total each time values were put into a request (for `status`).
    public var onSubstitution: (@Sendable (Int) -> Void)? {
        get { state.withLock { $0.onSubstitution } }
        set { state.withLock { $0.onSubstitution = newValue } }
    }

    /// `now` is the boot clock in ms (tests step it); `note` gets one line per event worth telling
    /// the user (a grant that ended), never a value. `live`, when given, answers the slugs still
    /// granted (the owner's daemon, asked before every request that would carry a value), so a
    /// relock mid-run stops the substitution at once.
    public init(_ cards: [Keycard], now: @escaping @Sendable () -> UInt64 = { Keycards.bootMilliseconds() },
                note: @escaping @Sendable (String) -> Void = { _ in }, live: (@Sendable () -> Set<String>)? = nil) {
        state = Locked(State(cards: cards))
        self.now = now
        self.note = note
        self.live = live
    }

    /// The indices of the cards whose value may go to `host:port`, over TLS or (only to a
    /// loopback destination) plain http. An expired card is left out, and said once.
    public func allowed(host: String, port: UInt16, tls: Bool) -> [Int] {
        let candidates = unexpired(host: host, port: port, tls: tls)
        guard !candidates.isEmpty, let live else { return candidates }
        let granted = live()
        return state.withLock { s in
            candidates.filter { i in
                guard i < s.cards.count, let slug = s.cards[i].slug, !granted.contains(slug) else { return true }
                if s.relockNoted.insert(i).inserted {
                    note("keyrack proxy: \(s.cards[i].name) is no longer granted (relocked or changed): requests now carry its placeholder")
                }
                return false
            }
        }
    }

    private func unexpired(host: String, port: UInt16, tls: Bool) -> [Int] {
        state.withLock { s in
            let t = now()
            return s.cards.indices.filter { i in
                let card = s.cards[i]
                guard card.destinations.contains(where: { $0.matches(host: host, port: port) && (tls || $0.isLoopback) }) else { return false }
                if let end = card.expiresAtMilliseconds, t >= end {
                    if s.expiredNoted.insert(i).inserted {
                        note("keyrack proxy: the grant of \(card.name) has ended: requests now carry its placeholder; unlock it again and start a new run")
                    }
                    return false
                }
                return true
            }
        }
    }

    /// Whether any card names `host:port` (over TLS): only those connections are opened.
    public func names(host: String, port: UInt16) -> Bool {
        state.withLock { $0.cards.contains { $0.destinations.contains { $0.matches(host: host, port: port) } } }
    }

    /// Whether `bytes` holds the placeholder of one of `selected`.
    func containsPlaceholder(_ bytes: ArraySlice<UInt8>, of selected: [Int]) -> Bool {
        state.withLock { s in selected.contains { Bytes.firstIndex(of: s.cards[$0].placeholder, in: bytes) != nil } }
    }

    /// `bytes` with every placeholder of `selected` replaced by its value, encoded for where it
    /// stands, in one left-to-right pass (what was put in is never read again). Returns how many.
    func substitute(_ bytes: ArraySlice<UInt8>, cards selected: [Int], as encoding: Encoding) -> (bytes: [UInt8], count: Int) {
        var used = Set<Int>()
        return substitute(bytes, cards: selected, as: encoding, used: &used)
    }

    /// `substitute`, adding to `used` the indices of the cards whose value was put in.
    func substitute(_ bytes: ArraySlice<UInt8>, cards selected: [Int], as encoding: Encoding, used: inout Set<Int>) -> (bytes: [UInt8], count: Int) {
        let (result, total, observer) = state.withLock { s in
            let result = Keycards.substitute(bytes, cards: selected, as: encoding, used: &used, in: &s)
            return (result, s.substitutions, s.onSubstitution)
        }
        // Told outside the lock (it writes a file); the total as of this substitution.
        if result.count > 0, let observer { observer(total) }
        return result
    }

    /// What the access log names a card by: its grant's slug, else its variable name.
    public func labels(_ indices: Set<Int>) -> [String] {
        state.withLock { s in indices.sorted().compactMap { $0 < s.cards.count ? s.cards[$0].slug ?? s.cards[$0].name : nil } }
    }

    private static func substitute(_ bytes: ArraySlice<UInt8>, cards selected: [Int], as encoding: Encoding, used: inout Set<Int>,
                                   in s: inout State) -> (bytes: [UInt8], count: Int) {
        let cards = s.cards
        let usable = selected.filter { i in
            encoding != .header || !cards[i].value.contains { $0 == 0x0d || $0 == 0x0a || $0 == 0 }
        }
        guard !usable.isEmpty else { return (Array(bytes), 0) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 64)
        var count = 0
        var i = bytes.startIndex
        outer: while i < bytes.endIndex {
            for c in usable {
                let p = cards[c].placeholder
                if bytes[i] == p[0], bytes.endIndex - i >= p.count, bytes[i..<(i + p.count)].elementsEqual(p) {
                    Keycards.append(cards[c].value, as: encoding, to: &out)
                    i += p.count
                    count += 1
                    used.insert(c)
                    continue outer
                }
            }
            out.append(bytes[i])
            i += 1
        }
        s.substitutions += count
        return (out, count)
    }

    /// For a request signed with the access key id whose placeholder is `keyID`, among `selected`:
    /// the real key id, and the placeholder and real value of its secret (the card named like the
    /// key's, `ACCESS_KEY_ID` → `SECRET_ACCESS_KEY`, allowed for the same destination). nil when
    /// the key id is none of this run's placeholders or its secret is not allowed here.
    func sigV4Keys(keyID: [UInt8], among selected: [Int]) -> (keyID: [UInt8], placeholderSecret: [UInt8], secret: [UInt8], cards: [Int])? {
        state.withLock { st in
            let cards = st.cards
            guard let k = selected.first(where: { cards[$0].placeholder == keyID }) else { return nil }
            let secretName = cards[k].name.replacingOccurrences(of: "ACCESS_KEY_ID", with: "SECRET_ACCESS_KEY")
            guard secretName != cards[k].name, let s = selected.first(where: { cards[$0].name == secretName }) else { return nil }
            st.substitutions += 2
            return (cards[k].value, cards[s].placeholder, cards[s].value, [k, s])
        }
    }

    /// A mask that turns every value back into its placeholder, for one answer.
    func echoMask() -> EchoMask {
        state.withLock { EchoMask(pairs: $0.cards.map { ($0.value, $0.placeholder) }) }
    }

    /// How many values were put into requests so far.
    public var substitutionCount: Int { state.withLock { $0.substitutions } }

    /// Zeroes every value; the proxy substitutes nothing afterwards.
    public func wipe() {
        state.withLock { s in
            for i in s.cards.indices { zeroize(&s.cards[i].value) }
            s.cards.removeAll()
        }
    }

    static func append(_ value: [UInt8], as encoding: Encoding, to out: inout [UInt8]) {
        switch encoding {
        case .header, .raw:
            out += value
        case .percent:
            let hex = Array("0123456789ABCDEF".utf8)
            for b in value {
                switch b {
                case 0x30...0x39, 0x41...0x5a, 0x61...0x7a, UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                    out.append(b)
                default:
                    out += [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 15)]]
                }
            }
        case .json:
            let hex = Array("0123456789abcdef".utf8)
            for b in value {
                switch b {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), b]
                case 0..<0x20: out += Array("\\u00".utf8) + [hex[Int(b >> 4)], hex[Int(b & 15)]]
                default: out.append(b)
                }
            }
        }
    }

    public static func bootMilliseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_BOOTTIME, &ts)
        return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
    }
}
