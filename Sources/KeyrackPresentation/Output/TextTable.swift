import Foundation

/// The human tables of `list` and `recipient list` (their `--json` answers are Results types):
/// left-aligned columns, two spaces apart, the last column unpadded.
public enum TextTable {
    public static func render(_ rows: [[String]]) -> String {
        guard let width = rows.first?.count else { return "" }
        let widths = (0..<width).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { c, cell in c == width - 1 ? cell : cell.padding(toLength: widths[c], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
