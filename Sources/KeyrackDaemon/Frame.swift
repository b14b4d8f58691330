#if canImport(Glibc)
import Glibc
#endif
import SecretBytes

/// Reading and writing whole frames on a stream socket. Every read is bounded twice: the socket's
/// receive timeout bounds each `read`, and `deadline` bounds the whole frame, so neither a silent
/// client nor one that trickles a byte at a time can hold a connection past its budget.
public enum Frame {
    /// Largest body accepted: room for a batch of grants; `unlock` splits larger sets.
    public static let maximumBodySize = 4 << 20
    /// Largest single value (a certificate chain, a JSON credential blob).
    public static let maximumValueSize = 1 << 20

    enum ReadOutcome {
        case frame([UInt8])
        /// The peer closed cleanly between frames.
        case closed
    }

    /// Reads one frame. Throws `.protocolError(.oversized…)` for a length over the limit (the
    /// caller replies and closes: the boundary of the next frame is lost), `.timedOut` when the
    /// deadline passes, `.malformed` for a frame cut short by EOF.
    static func read(from fd: Int32, deadlineMilliseconds: UInt64?) throws -> ReadOutcome {
        var header = [UInt8](repeating: 0, count: 4)
        let got = try readFully(fd, &header, 0, 4, deadline: deadlineMilliseconds, allowCleanEOF: true)
        if got == 0 { return .closed }
        let length = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
        guard length <= maximumBodySize else {
            throw DaemonError.protocolError(.oversized, "frame of \(length) bytes is over the limit of \(maximumBodySize)")
        }
        guard length >= 2 else { throw DaemonError.malformed("frame of \(length) bytes is too short for version and type") }
        var body = [UInt8](repeating: 0, count: length)
        _ = try readFully(fd, &body, 0, length, deadline: deadlineMilliseconds, allowCleanEOF: false)
        return .frame(body)
    }

    /// Returns bytes read: `count`, or 0 for a clean EOF before the first byte when allowed.
    private static func readFully(_ fd: Int32, _ buffer: inout [UInt8], _ start: Int, _ count: Int,
                                  deadline: UInt64?, allowCleanEOF: Bool) throws -> Int {
        var done = 0
        while done < count {
            let n = buffer.withUnsafeMutableBytes { raw in
                Glibc.read(fd, raw.baseAddress! + start + done, count - done)
            }
            if n > 0 {
                done += n
                if done < count, let deadline, Clock.bootMilliseconds() > deadline {
                    throw DaemonError.timedOut("frame took longer than allowed")
                }
                continue
            }
            if n == 0 {
                if done == 0 && allowCleanEOF { return 0 }
                throw DaemonError.malformed("frame truncated: the peer closed after \(done) of \(count) bytes")
            }
            let e = errno
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK { throw DaemonError.timedOut("no complete frame from the peer in time") }
            // A reset before a frame began is the peer going away between frames, as a close is
            // (a daemon closing its listening socket resets the connections still pending on it).
            if e == ECONNRESET && done == 0 && allowCleanEOF { return 0 }
            if e == ECONNRESET { throw DaemonError.malformed("frame truncated: connection reset") }
            throw DaemonError.io("read", errno: e)
        }
        return done
    }

    /// Writes `u32 length ‖ body` in one send where it fits, without SIGPIPE.
    static func write(_ body: [UInt8], to fd: Int32) throws {
        var frame = [UInt8](repeating: 0, count: 4 + body.count)
        let n = UInt32(body.count)
        frame[0] = UInt8(n >> 24); frame[1] = UInt8(truncatingIfNeeded: n >> 16)
        frame[2] = UInt8(truncatingIfNeeded: n >> 8); frame[3] = UInt8(truncatingIfNeeded: n)
        frame.withUnsafeMutableBytes { raw in
            _ = body.withUnsafeBytes { memcpy(raw.baseAddress! + 4, $0.baseAddress!, body.count) }
        }
        defer { zeroize(&frame) }
        try writeAll(fd, frame)
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n > 0 { sent += n; continue }
            let e = errno
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK { throw DaemonError.timedOut("the peer is not reading") }
            throw DaemonError.io("send", errno: e)
        }
    }

    /// Sets receive and send timeouts on a socket.
    static func setTimeouts(_ fd: Int32, milliseconds: Int) {
        var tv = timeval(tv_sec: milliseconds / 1000, tv_usec: (milliseconds % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }
}
