import Foundation
import KeyrackCore
import KeyrackApp
import KeyrackClient

/// How the manifest commands render their results: JSON objects and human tables.
enum ManifestCLI {
    /// Prints a JSON value (dictionaries and arrays of strings, numbers, bools, nulls) on stdout,
    /// as every `--json` answer is printed (JSONLine: one line, keys sorted).
    static func printJSON(_ value: Any) throws {
        JSONLine.print(JSONValue(any: value))
    }

    /// What `set` shows as a key's vault (KeyrackApp's KeyEntry.listedSource).
    static func source(of entry: KeyEntry) -> String { entry.listedSource }

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
