#if canImport(Glibc)
import Glibc
#endif
import KeyrackYAML

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

    /// The size from which a second thread pays: starting and joining it costs about what
    /// reading 150 entries does (callgrind, perf stat).
    static let minimumBytes = 64 << 10

    let fork: YAMLReader.Fork
    /// The half's entries, in order, each from the slug parsed from its key.
    private var entries: [KeyEntry] = []
    /// Their keys' text (the slugs' descriptions) and where each ends, as the decoder keeps them.
    private var slugTexts: [UInt8] = []
    private var slugEnds: [Int] = []
    /// Where the reader got to after the last entry, once the half was read whole as above.
    private var end: YAMLReader.Position?
    private var thread: pthread_t?

    private init(fork: YAMLReader.Fork) { self.fork = fork }

    /// Starts reading the second half of the mapping `reader` is at the start of (not entered),
    /// when it is large enough (`split`); nil when not, or not on the subset path.
    static func start(_ reader: borrowing YAMLReader, split: Split) -> KeysHalf? {
        guard let first = reader.mappingContentStart, let end = reader.blockKeysEnd else { return nil }
        // (Only where to split hangs on `end`: a wrong guess leaves the decoder reading alone.)
        // Halves of about the same work (the bytes of similar entries).
        var from = first + (end - first) / 2, limit = end
        switch split {
        case .never: return nil
        case .large: guard end - first >= minimumBytes, cores() >= 2 else { return nil }
        case .always: break
        case .near(let offset): (from, limit) = (offset, Int.max)
        }
        guard let fork = reader.fork(from: from, limit: limit), fork.offset > first else { return nil }
        let half = KeysHalf(fork: fork)
        half.thread = spawn(half)
        // No thread to be had: the decoder reads alone.
        return half.thread == nil ? nil : half
    }

    /// Waits for the half to be read: before the decoder's `read` returns, however it does
    /// (the thread reads the input in place).
    func join() {
        guard let thread else { return }
        pthread_join(thread, nil)
        self.thread = nil
    }

    /// At the seam (`reader.isAt(fork)`) with `ordered` the first half's entries (in order, their
    /// key texts in `slugTexts`, ending at `slugEnds`): appends this half's and moves `reader` to
    /// where this half ended, when it can be taken (see the type). False (nothing changed) when not.
    func taken(into ordered: inout [KeyEntry], _ texts: inout [UInt8], _ ends: inout [Int], reader: inout YAMLReader) -> Bool {
        join()
        guard let end, let firstEnd = slugEnds.first else { return false }
        if let lastEnd = ends.last {
            let lastStart = ends.count >= 2 ? ends[ends.count - 2] : 0
            guard KeysHalf.ascends(texts, lastStart..<lastEnd, slugTexts, 0..<firstEnd) else { return false }
        }
        let shift = texts.count
        texts.append(contentsOf: slugTexts)
        ends.reserveCapacity(ends.count + slugEnds.count)
        for e in slugEnds { ends.append(e + shift) }
        ordered.append(contentsOf: entries)
        reader.resume(at: end, from: fork)
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
    /// itself).
    private func read() {
        do {
            var reader = try YAMLReader(resuming: fork)
            var entryReader = KeyEntryReader()
            while try reader.nextKey() {
                let entry = try entryReader.read(&reader)
                guard entryReader.slugIsParsedKey else { return }
                let start = slugTexts.count
                slugTexts.append(contentsOf: entryReader.keyBytes)
                if let before = slugEnds.last {
                    let beforeStart = slugEnds.count >= 2 ? slugEnds[slugEnds.count - 2] : 0
                    guard KeysHalf.ascends(slugTexts, beforeStart..<before, slugTexts, start..<slugTexts.count) else { return }
                }
                slugEnds.append(slugTexts.count)
                entries.append(entry)
            }
            end = reader.position
        } catch {
            // The decoder meets it (or libyaml's reader does) and says what it is.
        }
    }

    private final class Box {
        let half: KeysHalf
        init(_ half: KeysHalf) { self.half = half }
    }

    /// A thread reading `half`, or nil when none can be started.
    private static func spawn(_ half: KeysHalf) -> pthread_t? {
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        defer { pthread_attr_destroy(&attr) }
        // An entry is read without deep recursion (the subset reader nests 8 levels at most).
        pthread_attr_setstacksize(&attr, 1 << 20)
        let arg = Unmanaged.passRetained(Box(half)).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, &attr, { raw in
            Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().half.read()
            return nil
        }, arg)
        guard rc == 0 else {
            Unmanaged<Box>.fromOpaque(arg).release()
            return nil
        }
        return tid
    }

    /// The cores online: with one, two threads would only take turns.
    private static func cores() -> Int { sysconf(Int32(_SC_NPROCESSORS_ONLN)) }
}
