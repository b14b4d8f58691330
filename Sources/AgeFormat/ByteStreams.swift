#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Streaming is what keeps memory flat for a 1 GiB file: the encryptor and decryptor pull from a
// ByteSource and push to a ByteSink one 64 KiB chunk at a time. The protocols are raw-pointer
// based so a file descriptor can be read straight into the chunk buffer with no per-byte work and
// no intermediate Array.

/// Where bytes come from. Returns 0 only at the end of input.
public protocol ByteSource: AnyObject {
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// Reads into `vectors` in order (a scatter read: one syscall fills a batch's chunks, which
    /// lie apart to leave room for their tags). Returns 0 only at the end of input. The default
    /// reads into the first non-empty vector.
    func read(scattering vectors: UnsafeBufferPointer<iovec>) throws -> Int
}

/// Where bytes go. Writes all of `bytes` or throws.
public protocol ByteSink: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws
    /// Writes all of `vectors` in order (a gather write: a batch's plaintext chunks, which lie
    /// apart where their tags were, in one syscall), or throws. May change `vectors`. The
    /// default writes them one by one.
    func write(gathering vectors: UnsafeMutableBufferPointer<iovec>) throws
}

extension ByteSource {
    public func read(scattering vectors: UnsafeBufferPointer<iovec>) throws -> Int {
        guard let vector = vectors.first(where: { $0.iov_len > 0 }) else { return 0 }
        return try read(into: UnsafeMutableRawBufferPointer(start: vector.iov_base, count: vector.iov_len))
    }

    /// Fills `vectors` in order until they are full or the input ends; returns the bytes read.
    /// `vectors` is consumed: each entry is advanced past what was read into it.
    func readFull(scattering vectors: UnsafeMutableBufferPointer<iovec>) throws -> Int {
        var total = 0
        var first = 0
        while first < vectors.count {
            if vectors[first].iov_len == 0 { first += 1; continue }
            let n = try read(scattering: UnsafeBufferPointer(rebasing: vectors[first...]))
            if n == 0 { break }
            total += n
            vectors.advance(from: &first, by: n)
        }
        return total
    }
}

extension ByteSink {
    public func write(gathering vectors: UnsafeMutableBufferPointer<iovec>) throws {
        for vector in vectors where vector.iov_len > 0 {
            try write(UnsafeRawBufferPointer(start: vector.iov_base, count: vector.iov_len))
        }
    }
}

extension UnsafeMutableBufferPointer where Element == iovec {
    /// Moves past `count` bytes, starting at entry `first`: whole entries are skipped (`first`
    /// moves on), a partly done one is shortened.
    func advance(from first: inout Int, by count: Int) {
        var rest = count
        while rest > 0, first < self.count {
            let n = Swift.min(rest, self[first].iov_len)
            self[first].iov_base = self[first].iov_base.map { $0 + n }
            self[first].iov_len -= n
            rest -= n
            if self[first].iov_len == 0 { first += 1 }
        }
    }
}

extension ByteSource {
    /// Reads until `buffer` is full or the input ends; returns how many bytes were read.
    func readFull(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            if n == 0 { break }
            filled += n
        }
        return filled
    }
}

extension ByteSink {
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }
}

/// IOV_MAX on Linux and the BSDs (<limits.h> names it through a macro Swift does not import).
private let maxVectors = 1024

/// Reads a file descriptor (a file, a pipe, stdin). Does not close it.
public final class FileDescriptorSource: ByteSource {
    public let fd: Int32
    public init(fd: Int32) { self.fd = fd }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        while true {
            #if canImport(Glibc)
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            #else
            let n = Darwin.read(fd, buffer.baseAddress, buffer.count)
            #endif
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw AgeError.io("read failed: \(String(cString: strerror(errno)))")
        }
    }

    public func read(scattering vectors: UnsafeBufferPointer<iovec>) throws -> Int {
        guard !vectors.isEmpty else { return 0 }
        while true {
            let n = readv(fd, vectors.baseAddress, Int32(Swift.min(vectors.count, maxVectors)))
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw AgeError.io("read failed: \(String(cString: strerror(errno)))")
        }
    }
}

/// Writes to a file descriptor (a file, a pipe, stdout). Does not close it.
public final class FileDescriptorSink: ByteSink {
    public let fd: Int32
    public init(fd: Int32) { self.fd = fd }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            #if canImport(Glibc)
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            #else
            let n = Darwin.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            #endif
            if n >= 0 { offset += n; continue }
            if errno == EINTR { continue }
            throw AgeError.io("write failed: \(String(cString: strerror(errno)))")
        }
    }

    public func write(gathering vectors: UnsafeMutableBufferPointer<iovec>) throws {
        var first = 0
        while first < vectors.count {
            if vectors[first].iov_len == 0 { first += 1; continue }
            let n = writev(fd, vectors.baseAddress! + first, Int32(Swift.min(vectors.count - first, maxVectors)))
            if n >= 0 { vectors.advance(from: &first, by: n); continue }
            if errno == EINTR { continue }
            throw AgeError.io("write failed: \(String(cString: strerror(errno)))")
        }
    }
}

/// Reads an in-memory byte array (the whole-buffer helpers, tests).
public final class BytesSource: ByteSource {
    let bytes: [UInt8]
    var offset = 0
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - offset)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { src in
            buffer.baseAddress!.copyMemory(from: src.baseAddress! + offset, byteCount: n)
        }
        offset += n
        return n
    }
}

/// Collects everything written into memory.
public final class BytesSink: ByteSink {
    public private(set) var bytes: [UInt8] = []
    public init() {}
    /// Room for `count` bytes at once, so a payload of known bound grows the array in no steps
    /// (each step would copy what was written and leave the old copy in freed memory).
    func reserveCapacity(_ count: Int) { bytes.reserveCapacity(count) }
    public func write(_ bytes: UnsafeRawBufferPointer) throws { self.bytes.append(contentsOf: bytes) }
}

/// A source with a look-ahead buffer: the header is parsed line by line and armor is detected by
/// peeking, and whatever was read ahead is then served to the payload reader before the
/// underlying source is read again.
final class PeekableSource: ByteSource {
    private let base: ByteSource
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false

    /// Bytes already in memory (`BytesSource`: a manifest, the whole-buffer helpers) are taken
    /// whole as the look-ahead buffer, the array shared, not copied: the armor reader then
    /// decodes straight from it, with no read, zero-fill or copy of 4 KiB at a time.
    init(_ base: ByteSource) {
        self.base = base
        if let memory = base as? BytesSource, memory.offset == 0 {
            buffer = memory.bytes
            memory.offset = memory.bytes.count
            atEnd = true
        }
    }

    private var buffered: Int { buffer.count - start }

    /// Makes at least `count` bytes available if the input has them; returns how many are.
    @discardableResult
    func fill(_ count: Int) throws -> Int {
        // What was consumed goes before more is read (a line or two of armor is moved at most), so
        // the buffer stays one read long instead of growing with the input.
        if start > 0, buffered < count, !atEnd { buffer.removeSubrange(..<start); start = 0 }
        while buffered < count, !atEnd {
            let want = max(count - buffered, 4096)
            let old = buffer.count
            buffer.append(contentsOf: repeatElement(0, count: want))
            let n = try buffer.withUnsafeMutableBytes { try base.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[old...])) }
            buffer.removeLast(want - n)
            if n == 0 { atEnd = true }
        }
        return min(buffered, count)
    }

    /// The next `count` bytes (fewer at end of input), not consumed.
    func peek(_ count: Int) throws -> ArraySlice<UInt8> {
        let n = try fill(count)
        return buffer[start..<(start + n)]
    }

    func skip(_ count: Int) { start += min(count, buffered) }

    /// Everything buffered, at least `count` bytes if the input has them, in place and not
    /// consumed: for a reader that decodes straight from the look-ahead buffer and then
    /// `skip`s what it used. Reads only when fewer than `count` bytes are buffered.
    func withBuffered<R>(atLeast count: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) throws -> R {
        try fill(count)
        return try buffer.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[start...])) }
    }

    /// The next line without its LF, consumed with it; nil when the input ends before an LF
    /// within `limit` bytes (the caller decides whether that is truncation or an overlong line).
    /// With `allowUnterminated`, a non-empty last line without LF is returned too.
    func readLine(limit: Int, allowUnterminated: Bool = false) throws -> ArraySlice<UInt8>? {
        var searched = 0
        while true {
            if let lf = indexOfLF(from: start + searched) {
                let line = buffer[start..<lf]
                guard line.count <= limit else { return nil }
                start = lf + 1
                return line
            }
            searched = buffered
            if searched > limit { return nil }
            let before = buffered
            if try fill(buffered + 1) == before {
                guard allowUnterminated, buffered > 0 else { return nil }
                let line = buffer[start...]
                start = buffer.count
                return line
            }
        }
    }

    /// The index of the first LF in `buffer` at or after `index`: memchr, as the armor reader
    /// asks once per 64-column line.
    private func indexOfLF(from index: Int) -> Int? {
        buffer.withUnsafeBufferPointer { b in
            guard index < b.count, let base = b.baseAddress, let lf = memchr(base + index, 0x0A, b.count - index) else { return nil }
            return UnsafeRawPointer(base).distance(to: UnsafeRawPointer(lf))
        }
    }

    func read(into target: UnsafeMutableRawBufferPointer) throws -> Int {
        if buffered > 0 {
            let n = min(target.count, buffered)
            buffer.withUnsafeBytes { target.baseAddress!.copyMemory(from: $0.baseAddress! + start, byteCount: n) }
            start += n
            return n
        }
        return atEnd ? 0 : try base.read(into: target)
    }
}
