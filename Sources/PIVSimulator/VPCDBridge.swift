// The wire between pcscd's vsmartcard `vpcd` reader driver and the applet.
//
// vpcd listens (server mode, one TCP port per reader slot) and the card connects to it. Every
// message is a 2-byte big-endian length and that many bytes; one-byte messages are controls
// (00 power off, 01 power on, 02 reset, 04 send ATR), anything longer is a command APDU. vpcd
// writes the length and the payload in separate send() calls, so frames are reassembled from the
// byte stream. Closing the socket is how a card is pulled out.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Set from the signal handler; the bridge loop checks it between frames.
nonisolated(unsafe) var bridgeStopRequested: sig_atomic_t = 0

public final class VPCDBridge {
    public let host: String
    public let port: UInt16
    public let applet: PIVApplet
    private let log: (String) -> Void
    private var fd: Int32 = -1

    public init(host: String, port: UInt16, applet: PIVApplet, log: @escaping (String) -> Void) {
        self.host = host
        self.port = port
        self.applet = applet
        self.log = log
    }

    /// Exit 0 on SIGTERM/SIGINT: the loop notices, closes the socket (the card is removed).
    public static func installStopHandlers() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in bridgeStopRequested = 1 }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0  // no SA_RESTART: a blocking recv returns EINTR so the loop can stop
        sigaction(SIGTERM, &action, nil)
        sigaction(SIGINT, &action, nil)
        signal(SIGPIPE, SIG_IGN)
    }

    public static var stopRequested: Bool { bridgeStopRequested != 0 }

    /// A touch delay that ends early (returning false) when the card is being removed.
    public static func interruptibleWait(milliseconds: Int) -> Bool {
        let end = Date().addingTimeInterval(Double(milliseconds) / 1000)
        while Date() < end {
            if stopRequested { return false }
            usleep(10_000)
        }
        return !stopRequested
    }

    /// Connects (retrying while vpcd is not listening yet) and serves until asked to stop or
    /// until vpcd closes the connection (pcscd went away): then the card is out and run returns,
    /// so a simulator never outlives the pcscd it was plugged into.
    public func run() {
        guard connectWithBackoff() else { return }
        log("inserted into vpcd at \(host):\(port)")
        serve()
        close(fd)
        fd = -1
        applet.powerOff()
        log(VPCDBridge.stopRequested ? "removed" : "vpcd closed the connection; card out")
    }

    private func connectWithBackoff() -> Bool {
        var delay: useconds_t = 20_000
        var reported = false
        while !VPCDBridge.stopRequested {
            let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard s >= 0 else { return false }
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = port.bigEndian
            guard inet_pton(AF_INET, host, &addr.sin_addr) == 1 else {
                log("not an IPv4 address: \(host)")
                close(s)
                return false
            }
            var one: Int32 = 1
            setsockopt(s, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if rc == 0 { fd = s; return true }
            let err = errno
            close(s)
            if !reported {
                log("waiting for vpcd on \(host):\(port) (\(String(cString: strerror(err))))")
                reported = true
            }
            usleep(delay)
            delay = min(delay * 2, 500_000)
        }
        return false
    }

    private func serve() {
        while !VPCDBridge.stopRequested {
            guard let header = readExactly(2) else { return }
            let length = Int(header[0]) << 8 | Int(header[1])
            guard let message = readExactly(length) else { return }
            if message.count == 1 {
                switch message[0] {
                case 0x00: applet.powerOff()
                case 0x01: applet.powerOn()
                case 0x02: applet.reset()
                case 0x04: guard send(PIVApplet.atr) else { return }
                default: break
                }
                continue
            }
            if message.isEmpty { continue }
            let reply = applet.process(apdu: message)
            // Pulled out while the command ran (e.g. waiting for a touch): no answer, like a card.
            if VPCDBridge.stopRequested { return }
            guard send(reply) else { return }
        }
    }

    /// Reads exactly n bytes; nil on EOF, error, or a stop request.
    private func readExactly(_ n: Int) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: n)
        var got = 0
        while got < n {
            // vpcd sends the length and the payload in two send() calls; with Nagle on its side a
            // delayed ACK from ours would stall every APDU by ~40 ms. Quick-ACK mode is not sticky
            // on Linux, so re-arm it before each read.
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), Int32(TCP_QUICKACK), &one, socklen_t(MemoryLayout<Int32>.size))
            let r = buffer[got...].withUnsafeMutableBytes { recv(fd, $0.baseAddress, n - got, 0) }
            if r > 0 { got += r; continue }
            if r < 0 && errno == EINTR && !VPCDBridge.stopRequested { continue }
            return nil
        }
        return buffer
    }

    private func send(_ payload: [UInt8]) -> Bool {
        let frame = [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] + payload
        var sent = 0
        while sent < frame.count {
            let r = frame[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, frame.count - sent, Int32(MSG_NOSIGNAL)) }
            if r > 0 { sent += r; continue }
            if r < 0 && errno == EINTR { continue }
            return false
        }
        return true
    }
}
