import KeyrackApp

/// `yubikey list`'s text: the card, then each used slot with its policies and recipients.
extension CardListing {
    public var lines: [String] {
        var lines = ["YubiKey \(serial) (firmware \(firmware), reader \"\(reader)\")"]
        if slots.isEmpty { lines.append("  no used slots: make an age identity with `keyrack yubikey setup --serial \(serial)`") }
        for s in slots {
            var line = "  slot \(s.slot)  \(s.algorithm)"
            if let p = s.pinPolicy { line += "  PIN \(p)" }
            if let t = s.touchPolicy { line += "  touch \(t)" }
            if let n = s.name { line += "  \"\(n)\"" }
            lines.append(line)
            if let r = s.recipient { lines.append("    recipient: \(r)") }
            if let t = s.tagRecipient { lines.append("    or as tag: \(t)") }
            if let i = s.identity { lines.append("    identity:  \(i)") }
        }
        return lines
    }
}
