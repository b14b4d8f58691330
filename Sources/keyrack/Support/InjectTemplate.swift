import KeyrackDaemon
import KeyrackNames
import KeyrackClient

/// A template for `keyrack inject`: any bytes, with `{{ keyrack://ORG.ENV.KEY }}` placeholders
/// (blanks inside the braces optional), as `op inject` reads `{{ op://… }}`. Other `{{ … }}` are
/// left alone, so templates of other tools pass through.
struct InjectTemplate {
    enum Piece: Equatable {
        case text(ArraySlice<UInt8>)
        case reference(Slug)
    }

    var pieces: [Piece] = []

    var references: [Slug] { pieces.compactMap { if case .reference(let s) = $0 { return s } else { return nil } } }

    /// Splits `bytes`; a placeholder that starts like ours but is no slug, or is never closed, is
    /// a usage error naming its line, never text passed through unfilled.
    init(_ bytes: [UInt8], path: String) throws {
        let open = Array("{{".utf8), scheme = Array(SecretReference.scheme.utf8)
        var i = 0, textStart = 0
        func blank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
        func at(_ pattern: [UInt8], _ k: Int) -> Bool { k + pattern.count <= bytes.count && bytes[k..<(k + pattern.count)].elementsEqual(pattern) }
        while i < bytes.count {
            guard at(open, i) else { i += 1; continue }
            var k = i + 2
            while k < bytes.count && blank(bytes[k]) { k += 1 }
            guard at(scheme, k) else { i += 1; continue }
            let line = bytes[..<i].filter { $0 == 0x0a }.count + 1
            let slugStart = k + scheme.count
            var end = slugStart
            while end < bytes.count && !blank(bytes[end]) && bytes[end] != UInt8(ascii: "}") && bytes[end] != 0x0a { end += 1 }
            let text = String(decoding: bytes[slugStart..<end], as: UTF8.self)
            var close = end
            while close < bytes.count && blank(bytes[close]) { close += 1 }
            guard at(Array("}}".utf8), close) else {
                throw UsageError("\(path) line \(line): {{ \(SecretReference.scheme)\(text.prefix(60)) is not closed with }}")
            }
            guard let slug = SecretReference.slug(text) else {
                throw UsageError("\(path) line \(line): \(SecretReference.scheme)\(text.prefix(60)) is not ORG.ENV.KEY")
            }
            if textStart < i { pieces.append(.text(bytes[textStart..<i])) }
            pieces.append(.reference(slug))
            i = close + 2
            textStart = i
        }
        if textStart < bytes.count { pieces.append(.text(bytes[textStart...])) }
    }

    /// The template with every placeholder replaced by its value.
    func render(_ values: [Slug: [UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        for piece in pieces {
            switch piece {
            case .text(let t): out += t
            case .reference(let s): out += values[s] ?? []
            }
        }
        return out
    }
}
