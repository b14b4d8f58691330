#if canImport(Glibc)
import Glibc
#endif
import Locking
import KeyrackYAML
import KeyrackNames
import SecretBytes

/// The second half of a large manifest's `keys:`, read on a thread of its own while the decoder
/// reads the first half (issue 32: the second core idles while a 10 000-key manifest is read).
///
/// Only ever a shortcut to what the decoder reads alone: it starts at a line that looks like an
/// entry's (YAMLReader.fork), and its work is taken (`taken(by:at:)`) only when the decoder,
/// reading on serially, arrives at that very entry (so the line is one), every entry before it
/// and every entry of this half came in slug order (so no key is there twice), the seam too, and
/// this half was read to the end of `keys:` without a refusal. Anything else (a refusal here, an
/// entry out of order, a line that was inside a value) and the decoder reads on from the seam by
/// itself, so its result, refusals and their order are always the serial reader's.
final class KeysHalf: @unchecked Sendable {
    /// When to read a manifest's keys on two threads.
    enum Split: Sendable {
        /// A `keys:` of at least `minimumBytes` on a machine with two cores or more.
        case large
        /// Never (one thread, as before).
        case never
        /// Whenever there is a seam to split at, whatever the size and the cores (tests, fuzzing).
        case always
        /// As `always`, at the first seam from this byte of the input on (tests of every seam).
        case near(Int)
    }

    /// The size from which a second thread pays. Its start, its first run on the other core and
    /// the waits cost about half a millisecond of wall time on a two-core VM (uprobes on
    /// YAMLReader.read: 1 000 keys, 0.23 MB of them, read in 1.0 ms alone and 1.5 ms split),
    /// where a 10 000-key manifest (2.3 MB of keys) is read in 5.5–9 ms split against 8.5–10 alone.
    static let minimumBytes = 1 << 20

    let fork: YAMLReader.Fork
    /// The half's entries in order, their keys' text and where each ends (as the decoder keeps
    /// them), and where the reader got to after the last: set, once the half was read whole in
    /// order, before the thread's milestone.
    private var entries: [KeyEntry] = []
    private var slugTexts: [UInt8] = []
    private var slugEnds: [Int] = []
    private var end: YAMLReader.Position?
    /// The `secrets:` right after the keys as the thread read it (after the milestone), where it
    /// started (at its value), and where the reader got to after it, once read whole.
    private var secrets: [Slug: [UInt8]] = [:]
    private var secretsStart: YAMLReader.Position?
    private var afterSecrets: YAMLReader.Position?
    /// About how many keys the whole `keys:` holds for each of this half's (the secrets' table
    /// is made that size).
    private let keysPerEntry: Double
    /// The decoder's lines from this half's: the seam's line, less one.
    private var shift = 0
    private var thread: DecodeThread?

    private init(fork: YAMLReader.Fork, keysPerEntry: Double) {
        self.fork = fork
        self.keysPerEntry = keysPerEntry
    }

    /// Secrets read but not taken (the decoder read them itself) are wiped before they go.
    deinit { KeysHalf.wipe(secrets) }

    private static func wipe(_ secrets: [Slug: [UInt8]]) {
        for value in secrets.values { wipeStorage(value) }
    }

    /// Starts reading the second half of the mapping `reader` is at the start of (not entered),
    /// when it is large enough (`split`); nil when not, or not on the subset path.
    static func start(_ reader: borrowing YAMLReader, split: Split) -> KeysHalf? {
        guard let first = reader.mappingContentStart, let end = reader.blockKeysEnd, let input = reader.stableInput else { return nil }
        // (Only where to split hangs on `end`: a wrong guess leaves the decoder reading alone.)
        // The thread reads `secrets:` after its half, while the decoder makes the keys' table
        // after its own: a byte of secrets costs about 1.5 of keys to read, the table a fifth
        // of the keys' bytes (callgrind), so the decoder takes more than half the keys.
        let keys = Double(end - first), after = Double(input.count - end)
        let share = min(0.85, max(0.5, 0.4 + 0.75 * after / max(keys, 1)))
        var from = first + Int(keys * share), limit = end
        switch split {
        case .never: return nil
        case .large: guard end - first >= minimumBytes, CPUs.available >= 2 else { return nil }
        case .always: break
        case .near(let offset): (from, limit) = (offset, Int.max)
        }
        guard let fork = reader.fork(from: from, limit: limit), fork.offset > first else { return nil }
        let half = KeysHalf(fork: fork, keysPerEntry: keys / Double(max(end - fork.offset, 1)))
        // No thread to be had: the decoder reads alone.
        guard let thread = DecodeThread.start({ half.read($0) }) else { return nil }
        half.thread = thread
        return half
    }

    /// Waits for the thread's end: before the decoder's `read` returns, however it does (the
    /// thread reads the input in place). Again is nothing.
    func join() { thread?.join() }

    /// At the seam (`reader.isAt(fork)`) with `ordered` the first half's entries (in order, their
    /// key texts in `texts`, ending at `ends`): appends this half's and moves `reader` to where
    /// this half ended, when it can be taken (see the type). False (nothing changed) when not.
    /// Waits only for the keys: the thread may be reading `secrets:` on.
    func taken(into ordered: inout [KeyEntry], _ texts: inout [UInt8], _ ends: inout [Int], reader: inout YAMLReader) -> Bool {
        thread?.waitForMilestone()
        guard let end, let firstEnd = slugEnds.first else { return false }
        if let lastEnd = ends.last {
            let lastStart = ends.count >= 2 ? ends[ends.count - 2] : 0
            guard KeysHalf.ascends(texts, lastStart..<lastEnd, slugTexts, 0..<firstEnd) else { return false }
        }
        let base = texts.count
        texts.append(contentsOf: slugTexts)
        ends.reserveCapacity(ends.count + slugEnds.count)
        for e in slugEnds { ends.append(e + base) }
        ordered.append(contentsOf: entries)
        shift = reader.resume(at: end, from: fork)
        return true
    }

    /// Right after the keys were taken, `reader` at the value of `secrets:`: the secrets this
    /// half's thread read from there, and `reader` moved past them; false (nothing changed)
    /// when it did not read them whole, or from elsewhere.
    func takeSecrets(into secrets: inout [Slug: [UInt8]], reader: inout YAMLReader) -> Bool {
        join()
        guard let secretsStart, let afterSecrets, reader.isAt(secretsStart) else { return false }
        swap(&secrets, &self.secrets)
        reader.resume(at: afterSecrets, shiftingLinesBy: shift)
        return true
    }

    /// Whether text `a` of `x` comes before text `b` of `y` in byte order (slug order).
    static func ascends(_ x: [UInt8], _ a: Range<Int>, _ y: [UInt8], _ b: Range<Int>) -> Bool {
        x.withUnsafeBufferPointer { p in
            y.withUnsafeBufferPointer { q in
                let c = memcmp(p.baseAddress! + a.lowerBound, q.baseAddress! + b.lowerBound, min(a.count, b.count))
                return c != 0 ? c < 0 : a.count < b.count
            }
        }
    }

    /// The thread's work: the entries from the fork to the end of the mapping, as the decoder
    /// reads them, stopping at the first refusal or entry out of order (the decoder reads those
    /// itself); the milestone; then `secrets:` when it comes next, as the decoder reads it.
    private func read(_ thread: DecodeThread) {
        defer { thread.reach() }
        var decoder = ManifestDecoder()
        do {
            var reader = try YAMLReader(resuming: fork)
            guard try decoder.readHalf(&reader) else { return }
            // Copies that share the decoder's storage: it reads them on, and the waiter too.
            (entries, slugTexts, slugEnds, end) = (decoder.ordered, decoder.slugTexts, decoder.slugEnds, reader.position)
            thread.reach()
            guard try reader.nextKey(), reader.keyBytes.elementsEqual("secrets".utf8) else { return }
            secretsStart = reader.position
            decoder.secrets.reserveCapacity(Int(Double(decoder.ordered.count) * keysPerEntry) + 16)
            try decoder.readSecrets(&reader)
            secrets = decoder.secrets
            afterSecrets = reader.position
        } catch {
            // The decoder meets it (or libyaml's reader does) and says what it is. The secrets
            // read so far go, wiped.
            KeysHalf.wipe(decoder.secrets)
        }
    }

}
