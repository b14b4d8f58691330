#if canImport(Glibc)
import Glibc
#endif
@testable import KeyrackDaemon

// The daemon's wire: length-prefixed frames read from a real stream socket (as the server and
// client read them), then each body decoded both as a request (the server's side) and as a
// response (the client's). A body that decodes must re-encode canonically.

private func checkRoundTrip(_ body: [UInt8]) {
    if let request = try? Request.decode(body: body) {
        let once = request.encodeBody()
        let twice = try! Request.decode(body: once).encodeBody()
        precondition(once == twice, "a decoded request does not re-encode canonically")
    }
    if let response = try? Response.decode(body: body) {
        let once = response.encodeBody()
        let twice = try! Response.decode(body: once).encodeBody()
        precondition(once == twice, "a decoded response does not re-encode canonically")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDaemonFrame(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var fds: [Int32] = [0, 0]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else { fatalError("socketpair failed") }
    defer { close(fds[0]) }
    // -max_len keeps inputs far below the socket buffer, so this write never blocks.
    var written = 0
    while written < size {
        let n = write(fds[1], data! + written, size - written)
        precondition(n > 0, "write to the socket pair failed")
        written += n
    }
    close(fds[1])
    while true {
        guard let outcome = try? Frame.read(from: fds[0], deadlineMilliseconds: nil) else { break }
        guard case .frame(let body) = outcome else { break }
        checkRoundTrip(body)
    }
    return 0
}
