// A block mapping read by two readers at once, on the subset path: while one reads it from its
// start, a second reads the rest from a line further on; when the first gets to that line, it
// takes over where the second got to, as if it had read those lines itself. A host manifest's
// `keys:` is 90 % of its lines, and the machine's second core idles while it is read (issue 32).
//
// The subset reader's state at the start of a line of a mapping is the mapping's indent and the
// collections open around it, nothing of the lines before: so a reader started at a line holding
// one of the mapping's keys reads on exactly as the first one will from there. That the line is
// such a key is not assumed (a line of the subset can look like one and be inside a value): the
// first reader proves it by arriving there, at that very key (`isAt`); a caller takes the second
// reader's work only then, and otherwise reads on by itself.

extension YAMLReader {
    /// A line further on in the block mapping a reader is at the start of, from which a second
    /// reader (`init(resuming:)`) reads on. Holds pointers into the input: only valid while the
    /// `read` that made it runs.
    public struct Fork: @unchecked Sendable {
        fileprivate let scanner: YAMLSubsetScanner
        fileprivate let open: Int
        /// Where the key's text starts in the input.
        fileprivate let key: Int
        /// Where the line starts in the input.
        public let offset: Int
    }

    /// Where a reader made by `init(resuming:)` has got to, for the reader it was forked from to
    /// take over (`resume(at:from:)`). Valid, as a fork, only while the `read` runs.
    public struct Position: @unchecked Sendable {
        fileprivate let scanner: YAMLSubsetScanner
        fileprivate let kind: Kind
        fileprivate let line: Int
        fileprivate let previousLine: Int
        fileprivate let open: Int
        fileprivate let keyLine: Int
        fileprivate let keyBytes: UnsafeBufferPointer<UInt8>
        fileprivate let scalarBytes: UnsafeBufferPointer<UInt8>
        fileprivate let scalarIsPlain: Bool
        fileprivate let scalarTag: Tag
    }

    /// At a block mapping's start on the subset path (`kind == .mappingStart`, not entered): where
    /// its first line starts in the input; nil on libyaml's path or anywhere else.
    public var mappingContentStart: Int? { onSubset ? subset.mappingContentStart : nil }

    /// At a block mapping's start on the subset path: where its run of keys whose values are
    /// blocks (as a manifest's `keys:` entries are) ends, about (`YAMLSubsetScanner.blockKeysEnd`);
    /// nil on libyaml's path or anywhere else.
    public var blockKeysEnd: Int? {
        guard onSubset, let first = subset.mappingContentStart else { return nil }
        return subset.blockKeysEnd(first: first)
    }

    /// At a block mapping's start on the subset path: a fork at the first line starting in
    /// `from..<limit` that looks like one of the mapping's keys with a block for its value; nil
    /// when there is none or the reader is elsewhere.
    public func fork(from: Int, limit: Int) -> Fork? {
        guard onSubset, subset.mappingContentStart != nil, let (line, key) = subset.blockKeyLine(from: from, limit: limit) else { return nil }
        return Fork(scanner: subset.forked(at: line), open: open, key: key, offset: line)
    }

    /// A reader of the same input that reads on from `fork`: at its key, as the reader the fork
    /// was made from will be when it gets there (but for the lines, counted from 1 at the fork).
    /// Refuses (`Declined`) when the line is no key of the mapping after all.
    public init(resuming fork: Fork) throws {
        self.init(parser: nil, subset: fork.scanner)
        open = fork.open
        try advance()
        guard subset.isAtKey(fork.key, depth: fork.scanner.openCollections) else { throw Declined() }
    }

    /// Whether this reader has come to `fork`'s key, reading on from where the fork was made:
    /// then it is where a reader made from the fork started, and can take over its `position`.
    public func isAt(_ fork: Fork) -> Bool {
        onSubset && subset.isAtKey(fork.key, depth: fork.scanner.openCollections)
    }

    /// Where this reader (made by `init(resuming:)`) has got to.
    public var position: Position {
        precondition(onSubset, "a position is the subset reader's")
        return Position(scanner: subset, kind: kind, line: line, previousLine: previousLine, open: open, keyLine: keyLine,
                        keyBytes: keyBytes, scalarBytes: scalarBytes, scalarIsPlain: scalarIsPlain, scalarTag: scalarTag)
    }

    /// At `fork` (`isAt(fork)`): goes on from `position`, where a reader made from the fork has
    /// got to, as if this reader had read the same lines (its lines counted on from here).
    /// Returns what this reader's lines are more than the forked reader's.
    @discardableResult
    public mutating func resume(at position: Position, from fork: Fork) -> Int {
        precondition(isAt(fork), "a reader resumes only at the fork it was made from")
        // Line 1 of the forked reader is this reader's current line, the fork's.
        let shift = line - 1
        resume(at: position, shiftingLinesBy: shift)
        return shift
    }

    /// Whether this reader is where a forked reader was at `position` (but for the lines): then
    /// it reads on from here as that one did.
    public func isAt(_ position: Position) -> Bool {
        onSubset && subset.samePlace(as: position.scanner) && kind == position.kind && open == position.open
    }

    /// At a place a forked reader was at too (`isAt`), having taken over from it before
    /// (`resume(at:from:)`, which said `shift`): goes on from `position`, where it got to since.
    public mutating func resume(at position: Position, shiftingLinesBy shift: Int) {
        precondition(onSubset, "a reader resumes on the subset path")
        subset = position.scanner
        subset.shiftLines(by: shift)
        kind = position.kind
        line = position.line + shift
        previousLine = position.previousLine + shift
        open = position.open
        keyLine = position.keyLine + shift
        keyBytes = position.keyBytes
        scalarBytes = position.scalarBytes
        scalarIsPlain = position.scalarIsPlain
        scalarTag = position.scalarTag
    }
}
