import XCTest
import Crypto
import TestSupport
@testable import AgeFormat

/// The batched, multi-threaded STREAM (`STREAMPipeline`) against the one-chunk-at-a-time
/// reference (`STREAMWriter`, and opening with one worker and one chunk a batch): identical
/// bytes at every chunk and batch boundary, and on damaged input the same error after exactly
/// the same released plaintext, wherever the damage falls relative to batches.
final class ParallelStreamTests: XCTestCase {
    let key = SymmetricKey(data: (0..<32).map { UInt8($0) })
    let k = STREAM.chunkSize
    /// Small batches on more threads than cores, so a few chunks already cross several batches
    /// and hand-offs; then what the CLI uses.
    let parallel = [STREAMParallelism(workers: 3, batchChunks: 1), STREAMParallelism(workers: 2, batchChunks: 3), .machine]
    let reference = STREAMParallelism(workers: 1, batchChunks: 1)

    func seal(_ plaintext: [UInt8], _ parallelism: STREAMParallelism) throws -> [UInt8] {
        let sink = BytesSink()
        try STREAMPipeline.seal(from: BytesSource(plaintext), cipher: ChunkCipher(key: key), to: sink, parallelism: parallelism)
        return sink.bytes
    }

    /// The incremental writer, fed in uneven pieces: the serial reference for sealing.
    func sealIncrementally(_ plaintext: [UInt8]) throws -> [UInt8] {
        let sink = BytesSink()
        let writer = STREAMWriter(key: key, sink: sink)
        var rest = plaintext[...]
        var piece = 1
        while !rest.isEmpty {
            try rest.prefix(piece).withUnsafeBytes { try writer.write($0) }
            rest = rest.dropFirst(piece)
            piece = piece * 7 + 3
        }
        try writer.finish()
        return sink.bytes
    }

    func open(_ payload: [UInt8], _ parallelism: STREAMParallelism, source: ByteSource? = nil) -> (released: [UInt8], error: Error?) {
        let sink = BytesSink()
        do {
            try STREAMPipeline.open(from: source ?? BytesSource(payload), cipher: ChunkCipher(key: key), to: sink, parallelism: parallelism)
            return (sink.bytes, nil)
        } catch { return (sink.bytes, error) }
    }

    func testChunkBoundariesSealIdenticallyAndOpenBack() throws {
        let sizes = [0, 1, k - 1, k, k + 1, 2 * k, 3 * k - 1, 3 * k, 3 * k + 1, 16 * k, 16 * k + 1, 33 * k + 5, 48 * k]
        for size in sizes {
            let plaintext = patternBytes(size)
            let expected = try sealIncrementally(plaintext)
            let chunks = max(1, (size + k - 1) / k)
            XCTAssertEqual(expected.count, size + chunks * STREAM.tagSize, "size \(size)")
            XCTAssertEqual(try seal(plaintext, reference), expected, "size \(size), serial")
            for parallelism in parallel {
                XCTAssertTrue(try seal(plaintext, parallelism) == expected, "size \(size), \(parallelism)")
                let opened = open(expected, parallelism)
                XCTAssertNil(opened.error, "size \(size), \(parallelism)")
                XCTAssertTrue(opened.released == plaintext, "size \(size), \(parallelism)")
            }
        }
    }

    /// The last chunk is sealed as last exactly once, also when the payload ends on a batch
    /// boundary (the read-ahead finds nothing): opening that chunk as "not last" must fail.
    func testLastChunkFlagAtBatchBoundary() throws {
        let plaintext = patternBytes(6 * k)
        let sealed = try seal(plaintext, STREAMParallelism(workers: 2, batchChunks: 3))
        let cipher = ChunkCipher(key: key)
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: k, alignment: 16)
        defer { out.deallocate() }
        for chunk in 0..<6 {
            let sealedChunk = Array(sealed[(chunk * STREAM.encryptedChunkSize)..<((chunk + 1) * STREAM.encryptedChunkSize)])
            let asLast = sealedChunk.withUnsafeBytes { cipher.open($0, into: out.baseAddress!, counter: UInt64(chunk), last: true) }
            XCTAssertEqual(asLast, chunk == 5, "chunk \(chunk)")
        }
    }

    /// Cutting the payload anywhere gives, in every mode, the reference's error after the
    /// reference's plaintext: at a chunk boundary "truncated" after every whole chunk, inside
    /// a chunk "authentication failed" at that chunk after the ones before.
    func testTruncationAnywhereMatchesTheReference() throws {
        let plaintext = patternBytes(7 * k + 100)
        let sealed = try seal(plaintext, reference)
        let e = STREAM.encryptedChunkSize
        var cuts = [0, 1, 15, 16, 17, e - 1, e, e + 1, 3 * e, 3 * e + 16, 6 * e + 50, 7 * e, 7 * e + 1, sealed.count - 1]
        cuts += (1...6).map { $0 * e }
        for cut in cuts {
            let payload = Array(sealed[..<cut])
            let expected = open(payload, reference)
            XCTAssertNotNil(expected.error, "cut \(cut)")
            let whole = cut / e, rest = cut % e
            let want: AgeError
            if rest < STREAM.tagSize { want = .truncated }  // at a boundary, or not even a tag
            else if rest == STREAM.tagSize, whole > 0 { want = .emptyLastChunk }
            else { want = .payloadAuthenticationFailed(chunk: UInt64(whole)) }
            XCTAssertEqual(expected.error as? AgeError, want, "cut \(cut)")
            XCTAssertTrue(expected.released == Array(plaintext[..<(whole * k)]), "cut \(cut): released")
            for parallelism in parallel {
                let got = open(payload, parallelism)
                XCTAssertEqual(got.error as? AgeError, expected.error as? AgeError, "cut \(cut), \(parallelism)")
                XCTAssertTrue(got.released == expected.released, "cut \(cut), \(parallelism): released \(got.released.count)")
            }
        }
    }

    /// A bad chunk in the middle of a batch: exactly the chunks before it come out, none after,
    /// though the pool has opened later chunks (and later batches) already.
    func testTamperedChunkReleasesExactlyTheChunksBefore() throws {
        let plaintext = patternBytes(20 * k + 7)
        let sealed = try seal(plaintext, reference)
        for bad in [0, 1, 4, 10, 19, 20] {
            var payload = sealed
            payload[bad * STREAM.encryptedChunkSize + 3] ^= 0x40
            for parallelism in [reference] + parallel {
                let got = open(payload, parallelism)
                XCTAssertEqual(got.error as? AgeError, .payloadAuthenticationFailed(chunk: UInt64(bad)), "chunk \(bad), \(parallelism)")
                XCTAssertTrue(got.released == Array(plaintext[..<(bad * k)]), "chunk \(bad), \(parallelism): released \(got.released.count)")
            }
        }
    }

    /// Hand-made payloads that break the last-chunk rules, at every position in a batch.
    func testLastChunkRules() throws {
        let cipher = ChunkCipher(key: key)
        func chunk(_ plaintext: [UInt8], _ counter: Int, last: Bool) -> [UInt8] {
            var buffer = plaintext + [UInt8](repeating: 0, count: STREAM.tagSize)
            buffer.withUnsafeMutableBytes { b in
                cipher.seal(UnsafeMutableRawBufferPointer(rebasing: b[..<plaintext.count]), tag: b.baseAddress! + plaintext.count,
                            counter: UInt64(counter), last: last)
            }
            return buffer
        }
        let full = (0..<5).map { _ in patternBytes(k) }
        for position in 0..<4 {
            let before = (0..<position).flatMap { chunk(full[$0], $0, last: false) }
            let released = Array(full[0..<position].joined())
            // A full chunk sealed as last, then more: it is released, then "trailing data".
            let early = before + chunk(full[position], position, last: true) + chunk(Array("x".utf8), position + 1, last: true)
            // An empty last chunk after a full one.
            let empty = before + chunk(full[position], position, last: false) + chunk([], position + 1, last: true)
            // No last chunk at all: every full chunk released, then "truncated".
            let noLast = before + chunk(full[position], position, last: false)
            let cases: [(String, [UInt8], AgeError, [UInt8])] = [
                ("last then more", early, .trailingData, released + full[position]),
                ("empty last chunk", empty, .emptyLastChunk, released + full[position]),
                ("no last chunk", noLast, .truncated, released + full[position]),
                ("garbage after the last chunk", before + chunk(full[position], position, last: true) + [1, 2, 3], .trailingData, released + full[position]),
            ]
            for (name, payload, error, expected) in cases {
                for parallelism in [reference] + parallel {
                    let got = open(payload, parallelism)
                    XCTAssertEqual(got.error as? AgeError, error, "\(name) at \(position), \(parallelism)")
                    XCTAssertTrue(got.released == expected, "\(name) at \(position), \(parallelism): released \(got.released.count)")
                }
            }
        }
    }

    /// A read error (say, bad armor) partway through a batch surfaces after the whole chunks
    /// read before it, as in the reference, and not before them.
    func testReadErrorSurfacesAfterTheChunksBeforeIt() throws {
        let plaintext = patternBytes(9 * k)
        let sealed = try seal(plaintext, reference)
        let failAt = 5 * STREAM.encryptedChunkSize + 1000
        for parallelism in [reference] + parallel {
            let got = open(sealed, parallelism, source: FailingSource(sealed, failAt: failAt))
            XCTAssertEqual(got.error as? AgeError, .malformedArmor("test: bad input"), "\(parallelism)")
            XCTAssertTrue(got.released == Array(plaintext[..<(5 * k)]), "\(parallelism): released \(got.released.count)")
        }
    }

    /// A file's worth through the CLI's default (the pool), decrypted by age's reference rules.
    func testMachineParallelismRoundTripsThroughAgeEncryptor() throws {
        let identity = X25519Identity.generate()
        let plaintext = patternBytes(40 * k + 123)
        let sink = BytesSink()
        try AgeEncryptor.encrypt(from: BytesSource(plaintext), to: [identity.recipient], armor: false, output: sink, parallelism: .machine)
        let serial = BytesSink()
        try AgeDecryptor(input: BytesSource(sink.bytes), identities: [identity]).decrypt(to: serial, parallelism: reference)
        XCTAssertTrue(serial.bytes == plaintext)
    }
}

extension ParallelStreamTests {
    /// Memory is one batch per worker, whatever the length of the input: every batch is read
    /// into a buffer some worker owns, and there are no more of those than workers.
    func testOneBatchBufferPerWorker() throws {
        let plaintext = patternBytes(40 * k + 5)
        let sealed = try seal(plaintext, reference)
        for parallelism in [STREAMParallelism(workers: 2, batchChunks: 2), STREAMParallelism(workers: 3, batchChunks: 1), .machine] {
            let plainSource = BufferRecordingSource(plaintext)
            try STREAMPipeline.seal(from: plainSource, cipher: ChunkCipher(key: key), to: BytesSink(), parallelism: parallelism)
            XCTAssertGreaterThan(plainSource.batchBuffers.count, 0)
            XCTAssertLessThanOrEqual(plainSource.batchBuffers.count, parallelism.workers, "seal, \(parallelism)")

            let sealedSource = BufferRecordingSource(sealed)
            let opened = open(sealed, parallelism, source: sealedSource)
            XCTAssertNil(opened.error)
            XCTAssertTrue(opened.released == plaintext, "\(parallelism)")
            XCTAssertLessThanOrEqual(sealedSource.batchBuffers.count, parallelism.workers, "open, \(parallelism)")
        }
    }

    /// The byte read past a full batch (to know whether it holds the last chunk) is carried
    /// into the next batch: reads that end anywhere, down to one byte, seal the same bytes.
    func testSealFromUnevenReadsMatchesTheReference() throws {
        for size in [2 * k, 2 * k + 1, 6 * k, 6 * k - 1, 7 * k + 3] {
            let plaintext = patternBytes(size)
            let expected = try sealIncrementally(plaintext)
            for parallelism in [STREAMParallelism(workers: 2, batchChunks: 2), STREAMParallelism(workers: 3, batchChunks: 3)] {
                for step in [1, 7, k - 1, k + 1] where step < 4096 || size > 2 * k {
                    let sink = BytesSink()
                    try STREAMPipeline.seal(from: UnevenSource(plaintext, step: step), cipher: ChunkCipher(key: key), to: sink, parallelism: parallelism)
                    XCTAssertTrue(sink.bytes == expected, "size \(size), reads of \(step), \(parallelism)")
                }
            }
        }
    }

    /// Opening in place: a chunk tried under the wrong last-chunk flag fails and is left as
    /// the ciphertext it was (no unauthenticated plaintext stays in the buffer), so the right
    /// flag then opens it.
    func testOpenInPlaceRestoresTheCiphertextOnFailure() throws {
        let cipher = ChunkCipher(key: key)
        let context = ChunkCipher.Context()
        let plaintext = patternBytes(k)
        var sealed = plaintext + [UInt8](repeating: 0, count: STREAM.tagSize)
        sealed.withUnsafeMutableBytes { b in
            cipher.seal(UnsafeMutableRawBufferPointer(rebasing: b[..<k]), tag: b.baseAddress! + k, counter: 7, last: false, context: context)
        }
        var buffer = sealed
        let asLast = buffer.withUnsafeMutableBytes { cipher.openInPlace($0, counter: 7, last: true, context: context) }
        XCTAssertFalse(asLast)
        XCTAssertTrue(buffer == sealed, "the ciphertext is back after a failed open")
        let asOther = buffer.withUnsafeMutableBytes { cipher.openInPlace($0, counter: 8, last: false, context: context) }
        XCTAssertFalse(asOther)
        XCTAssertTrue(buffer == sealed)
        let right = buffer.withUnsafeMutableBytes { cipher.openInPlace($0, counter: 7, last: false, context: context) }
        XCTAssertTrue(right)
        XCTAssertTrue(Array(buffer[..<k]) == plaintext)
    }
}

/// Records the buffers whole batches are read into: a scatter read's first vector (a sealing
/// batch, at its start or one byte in after a carried byte) or a read of a full opening batch.
private final class BufferRecordingSource: ByteSource {
    let bytes: [UInt8]
    var offset = 0
    private(set) var batchBuffers = Set<UInt>()
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = serve(buffer)
        if n > 0, buffer.count % STREAM.encryptedChunkSize == 0 { batchBuffers.insert(UInt(bitPattern: buffer.baseAddress)) }
        return n
    }

    func read(scattering vectors: UnsafeBufferPointer<iovec>) throws -> Int {
        var total = 0
        for vector in vectors {
            let n = serve(UnsafeMutableRawBufferPointer(start: vector.iov_base, count: vector.iov_len))
            total += n
            if n < vector.iov_len { break }
        }
        // A read that starts a batch (the rest of one after an end of input reads nothing).
        if total > 0, let first = vectors.first, first.iov_len >= STREAM.chunkSize - 1 {
            batchBuffers.insert(UInt(bitPattern: first.iov_base) & ~UInt(63))
        }
        return total
    }

    private func serve(_ buffer: UnsafeMutableRawBufferPointer) -> Int {
        let n = min(buffer.count, bytes.count - offset)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
        offset += n
        return n
    }
}

/// Serves `bytes` in reads of at most `step` bytes.
private final class UnevenSource: ByteSource {
    let bytes: [UInt8]
    let step: Int
    var offset = 0
    init(_ bytes: [UInt8], step: Int) { self.bytes = bytes; self.step = step }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - offset, step)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
        offset += n
        return n
    }
}

/// Serves `bytes` in uneven reads, then throws once `failAt` bytes have been served.
private final class FailingSource: ByteSource {
    let bytes: [UInt8]
    let failAt: Int
    var offset = 0
    init(_ bytes: [UInt8], failAt: Int) { self.bytes = bytes; self.failAt = failAt }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if offset >= failAt { throw AgeError.malformedArmor("test: bad input") }
        let n = min(buffer.count, failAt - offset, 40_000)
        bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
        offset += n
        return n
    }
}

/// Distinct bytes everywhere (so a chunk out of order cannot compare equal), made quickly: a
/// few MiB of `randomBytes` cost seconds in a debug build.
private func patternBytes(_ count: Int) -> [UInt8] {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(count)
    var bytes = [UInt8](repeating: 0, count: count)
    bytes.withUnsafeMutableBytes { b in
        var i = 0
        while i < count {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            withUnsafeBytes(of: state) { w in
                let n = min(8, count - i)
                (b.baseAddress! + i).copyMemory(from: w.baseAddress!, byteCount: n)
                i += n
            }
        }
    }
    return bytes
}
