import KeyrackCore
import SecretBytes

/// The terminal of the person running keyrack: secrets without echo from /dev/tty (or
/// KEYRACK_ASKPASS), notices on stderr and the desktop (TouchPrompt). A PIN prompt says on its
/// own line who asks (Asker).
public struct LiveTerminal: UserTerminal {
    public init() {}

    public func ask(_ request: SecretRequest) throws -> [UInt8] {
        try SecretPrompt.readFromTerminal(prompt: request.prompt, what: TerminalInteraction.secretName(request.prompt), saysWhoAsks: request.isPIN)
    }

    public func notice(_ notice: Notice) { TouchPrompt.show(notice) }
}

/// A terminal whose PIN requests are answered with one PIN given beforehand (`--pin-stdin`,
/// `--pin-file`): the card's PIN for the manifest, an OpenBao cert login and a card-signed JWT
/// alike. Every other request (an ssh passphrase) still goes to `base`. The PIN is read at the
/// first request and kept for the next (stdin can be read once).
public final class PINAnsweringTerminal: UserTerminal {
    public let base: any UserTerminal
    private let source: () throws -> [UInt8]
    private var pin: [UInt8]?

    public init(base: any UserTerminal, pin source: @escaping () throws -> [UInt8]) {
        self.base = base
        self.source = source
    }

    deinit { if pin != nil { zeroize(&pin!) } }

    public func ask(_ request: SecretRequest) throws -> [UInt8] {
        guard request.isPIN else { return try base.ask(request) }
        if pin == nil { pin = try source() }
        return pin!
    }

    public func notice(_ notice: Notice) { base.notice(notice) }
}
