import KeyrackCore

/// `list`'s text: a table of the owner's keys, a SEND-TO column only when a key has one (so a
/// rack without keycards lists as before); or that there is none.
public enum KeyListText {
    public static func text(owner: OwnerName, env: String?, keys: [KeyEntry]) -> String {
        guard !keys.isEmpty else { return "keyrack list: owner \(owner) has no keys\(env.map { " for env \($0)" } ?? "")" }
        let sendTo = keys.contains { !$0.sendTo.isEmpty }
        let rows = [["SLUG", "ENV", "ORG", "VAULT", "MECH"] + (sendTo ? ["SEND-TO"] : [])] + keys.map {
            [$0.slug.description, $0.env.value, $0.org.value, $0.source, $0.mech.rawValue]
                + (sendTo ? [$0.sendTo.isEmpty ? "-" : $0.sendTo.map(\.description).joined(separator: ",")] : [])
        }
        return TextTable.render(rows)
    }
}
