import Foundation
import KeyrackCore
import KeyrackNames

/// How the manifest commands render their results: JSON objects and human tables.
enum ManifestCLI {
    /// Prints a JSON value (dictionaries and arrays of strings, numbers, bools, nulls) on stdout.
    static func printJSON(_ value: Any) throws {
        let data = try JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        print(String(decoding: data, as: UTF8.self))
    }

    static func json(_ entry: KeyEntry) -> [String: Any] {
        var object: [String: Any] = [
            "slug": entry.slug.description, "env": entry.env.value, "org": entry.org.value, "key": entry.slug.key,
            "vault": entry.vault.rawValue, "mech": entry.mech.rawValue, "exid": entry.exid ?? NSNull(),
            "maxDuration": entry.maxDuration?.text ?? NSNull(), "createdAt": entry.createdAt, "updatedAt": entry.updatedAt,
            "sendTo": entry.sendTo.map(\.description),
        ]
        if entry.vault == .openBao {
            object["source"] = source(of: entry)
            object["addr"] = entry.addr ?? NSNull()
            object["cacert"] = entry.cacert ?? NSNull()
        }
        return object
    }

    /// What `list` shows as a key's vault: the vault, or for openbao its reference
    /// (`openbao:secret/robots/seaturtle#token`), never a value.
    static func source(of entry: KeyEntry) -> String {
        guard entry.vault == .openBao, let exid = entry.exid, let ref = try? OpenBaoReference(parsing: exid) else { return entry.vault.rawValue }
        return ref.display + (entry.addr.map { " @ \($0)" } ?? "")
    }

    /// A path as given, made absolute against the current directory (so unlock finds it from anywhere).
    static func absolutePath(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// Left-aligned columns for human tables.
    static func table(_ rows: [[String]]) -> String {
        guard let width = rows.first?.count else { return "" }
        let widths = (0..<width).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { c, cell in c == width - 1 ? cell : cell.padding(toLength: widths[c], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
