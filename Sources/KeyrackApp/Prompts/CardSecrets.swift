import AgeYubiKey
import KeyrackClient
import KeyrackCore
import SecretBytes

/// Where a YubiKey command's PINs and PUKs come from: the terminal without echo, or with
/// --pin-stdin one per line of stdin, in the order the command's help documents.
public struct CardSecrets {
    private var stdin: StdinSecrets?

    public init(fromStdin: Bool) { stdin = fromStdin ? StdinSecrets() : nil }

    /// One secret: its prompt on the terminal (a PIN's with who asks), or the next line of stdin.
    public mutating func read(_ request: SecretRequest, what: String) throws -> [UInt8] {
        if stdin != nil { return try stdin!.next(what) }
        return try SecretPrompt.readFromTerminal(prompt: request.prompt, what: what, saysWhoAsks: request.isPIN)
    }

    /// A new PIN or PUK: typed twice on a terminal (a typo there would lock its owner out of the
    /// card), read once from stdin.
    public mutating func readNew(puk: Bool) throws -> [UInt8] {
        let what = puk ? "PUK" : "PIN"
        let ask: (String) -> SecretRequest = { puk ? .puk(prompt: $0) : .pin(prompt: $0) }
        var new = try read(ask("New \(what) (6–8 characters): "), what: "new \(what)")
        if stdin == nil {
            var again = try read(ask("New \(what) again: "), what: "new \(what)")
            defer { wipe(&again) }
            guard again == new else {
                wipe(&new)
                throw UsageError("the two new \(what)s differ: run the command again")
            }
        }
        return new
    }

    /// Zeroes the stdin lines not consumed.
    public mutating func wipeAll() { stdin?.wipeAll() }
}

/// How the YubiKey commands talk to the user while the card works: the PIN prompt of an unwrap,
/// and the touch prompt on stderr so it never mixes with output.
public enum YubiKeyPrompts {
    /// The PIN provider for unwrapping: terminal only (decryption reads the file from stdin).
    public static let pin: PINProvider = { request in
        try SecretPrompt.readFromTerminal(prompt: request.prompt, what: "YubiKey PIN", saysWhoAsks: true)
    }

    public static let touch: TouchNotifier = TouchPrompt.notifier
}

/// Secrets piped on stdin for automation: one per line, in the order the command documents.
public struct StdinSecrets {
    private var lines: [[UInt8]]

    public init() {
        var all = SecretPrompt.readAllOfStdin()
        lines = PINSource.lines(all)
        wipe(&all)
    }

    public mutating func next(_ what: String) throws -> [UInt8] {
        guard !lines.isEmpty else { throw UsageError("stdin ended before the \(what): give one secret per line") }
        return lines.removeFirst()
    }

    public mutating func wipeAll() {
        for i in lines.indices { wipe(&lines[i]) }
        lines.removeAll()
    }
}
