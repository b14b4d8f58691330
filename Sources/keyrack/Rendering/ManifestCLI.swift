import Foundation
import KeyrackApp
import KeyrackCore
import KeyrackNames
import KeyrackClient

/// How the manifest commands render their results: JSON objects and human tables.
enum ManifestCLI {
    /// Prints a JSON value (dictionaries and arrays of strings, numbers, bools, nulls) on stdout,
    /// as every `--json` answer is printed (JSONLine: one line, keys sorted).
    static func printJSON(_ value: Any) throws {
        JSONLine.print(JSONValue(any: value))
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
