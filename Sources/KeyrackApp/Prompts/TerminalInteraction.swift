import Foundation
import KeyrackCore

/// The person at the keyboard as the core's `Interaction`: passphrases and PINs read from the
/// terminal without echo (or KEYRACK_ASKPASS), notices on stderr and the desktop (TouchPrompt).
public enum TerminalInteraction {
    public static let live = LiveTerminal().interaction

    /// What a prompt asks for, as an error names it ("cannot ask for the …"): "Enter PIN for
    /// YubiKey with serial 123 (3 tries left): " -> "PIN for YubiKey with serial 123", "Enter the
    /// TPM PIN (…): " -> "TPM PIN".
    public static func secretName(_ prompt: String) -> String {
        var name = prompt.trimmingCharacters(in: CharacterSet(charactersIn: ": "))
        if name.hasPrefix("Enter ") { name.removeFirst("Enter ".count) }
        if name.hasPrefix("the ") { name.removeFirst("the ".count) }
        if name.hasSuffix(")"), let open = name.range(of: " (", options: .backwards) { name = String(name[..<open.lowerBound]) }
        return name
    }
}
