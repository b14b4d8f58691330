import Foundation
import KeyrackApp
import KeyrackCore
import KeyrackClient

/// How the manifest commands render human tables (their `--json` answers are Results types).
enum ManifestCLI {
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
