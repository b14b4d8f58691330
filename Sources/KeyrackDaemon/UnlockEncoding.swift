import KeyrackNames

/// An UNLOCK request's bytes, written in one pass into a buffer of the exact size: its length
/// counted first, then every field stored through a pointer. The same bytes as `WireWriter`
/// writes field by field (Protocol's version 7; WireProtocolTests holds the two together), at a
/// fraction of the cost: through the writer, each field checked its room, each integer went
/// in a byte at a time, and each grant's strings were copied out of the request and released
/// again (1 600 instructions a grant, the largest part of sending an unlock of 10 000 keys).
/// `framed`: with the frame's `u32 length` in front, so the frame is sent as it is (the frame
/// writer copied a body of 400 KB into a new frame, and zeroed both).
enum UnlockEncoding {
    static func bytes(_ grants: [GrantRequest], catalog: UnlockCatalog?, framed: Bool) -> [UInt8] {
        grants.withUnsafeBufferPointer { grants in
            let body = size(grants, catalog: catalog)
            let total = body + (framed ? 4 : 0)
            return [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
                var out = Cursor(buffer.baseAddress!)
                if framed { out.u32(UInt32(body)) }
                write(grants, catalog: catalog, to: &out)
                initialized = out.pointer - buffer.baseAddress!
                precondition(initialized == total, "UNLOCK's size was counted as \(total) bytes and written as \(initialized)")
            }
        }
    }

    /// The body's length in bytes: what `write` stores, counted field by field.
    private static func size(_ grants: UnsafeBufferPointer<GrantRequest>, catalog: UnlockCatalog?) -> Int {
        var n = 3 + 4
        if let catalog {
            n += 8
            for s in catalog.beyondGrants { n += 4 + s.utf8Count }
        }
        for i in grants.indices {
            n += 4 + grants[i].slug.utf8Count + 4 + grants[i].vault.utf8.count + 8 + 4 + grants[i].value.count + 1
            if let note = grants[i].revocation {
                n += 4 + note.utf8.count
                if let secret = grants[i].revocationSecret { n += 4 + secret.count }
                if grants[i].leaseMilliseconds != nil { n += 8 }
            }
            n += 4 + 1
            for d in grants[i].sendTo { n += 4 + d.utf8.count }
        }
        return n
    }

    private static func write(_ grants: UnsafeBufferPointer<GrantRequest>, catalog: UnlockCatalog?, to out: inout Cursor) {
        out.u8(Protocol.version)
        out.u8(Request.unlockType)
        out.u8(catalog == nil ? 0 : 1)
        if let catalog {
            out.u32(UInt32(catalog.count))
            out.u32(UInt32(catalog.beyondGrants.count))
            for s in catalog.beyondGrants { out.slug(s) }
        }
        out.u32(UInt32(grants.count))
        // A slug's `ORG.ENV.` and a vault's whole field are the bytes of the grant before, nearly
        // always (an unlock's grants share org and env, and mostly one vault): copied from there.
        var prefix = Shared(), vault = Shared()
        for i in grants.indices {
            let slug = grants[i].slug
            if !prefix.holds(slug.org, slug.env) {
                prefix = Shared(slug.org, slug.env, bytes: Array("\(slug.org).\(slug.env).".utf8))
            }
            out.u32(UInt32(prefix.bytes.count + slug.key.utf8.count)); out.bytes(prefix.bytes); out.string(slug.key)
            if !vault.holds(grants[i].vault, nil) { vault = Shared(grants[i].vault, nil, bytes: Cursor.field(grants[i].vault)) }
            out.bytes(vault.bytes)
            out.u64(grants[i].ttlMilliseconds)
            out.u32(UInt32(grants[i].value.count)); out.bytes(grants[i].value)
            // 0: none; 1: a note; 2: a note and its secret (GrantRequest.revocationSecret).
            if let note = grants[i].revocation {
                let secret = grants[i].revocationSecret
                out.u8(secret == nil ? 1 : 2)
                out.u32(UInt32(note.utf8.count)); out.string(note)
                if let secret { out.u32(UInt32(secret.count)); out.bytes(secret) }
            } else {
                out.u8(0)
            }
            let sendTo = grants[i].sendTo
            out.u32(UInt32(sendTo.count))
            for d in sendTo { out.u32(UInt32(d.utf8.count)); out.string(d) }
            // 0: no lease to renew; 1: its duration in ms follows (only with a note, which names it).
            if grants[i].revocation != nil, let lease = grants[i].leaseMilliseconds { out.u8(1); out.u64(lease) } else { out.u8(0) }
        }
    }

    /// The bytes last written for two names (a slug's org and env, or a vault alone): names
    /// only, never a value or a note, so nothing in them needs zeroing.
    private struct Shared {
        var first: String?, second: String?, bytes: [UInt8] = []
        init() {}
        init(_ first: String, _ second: String?, bytes: [UInt8]) { self.first = first; self.second = second; self.bytes = bytes }
        func holds(_ a: String, _ b: String?) -> Bool { first != nil && first == a && second == b }
    }

    /// Where the next byte goes. The buffer was sized by `size`: no store checks its room.
    private struct Cursor {
        var pointer: UnsafeMutablePointer<UInt8>
        init(_ pointer: UnsafeMutablePointer<UInt8>) { self.pointer = pointer }

        @inline(__always) mutating func u8(_ v: UInt8) { pointer.pointee = v; pointer += 1 }
        @inline(__always) mutating func u32(_ v: UInt32) {
            UnsafeMutableRawPointer(pointer).storeBytes(of: v.bigEndian, as: UInt32.self)
            pointer += 4
        }
        @inline(__always) mutating func u64(_ v: UInt64) {
            UnsafeMutableRawPointer(pointer).storeBytes(of: v.bigEndian, as: UInt64.self)
            pointer += 8
        }
        @inline(__always) mutating func bytes(_ b: [UInt8]) {
            b.withUnsafeBufferPointer { if let base = $0.baseAddress { pointer.update(from: base, count: $0.count) } }
            pointer += b.count
        }
        @inline(__always) mutating func string(_ s: String) {
            var s = s
            let n = s.withUTF8 { u in
                if let base = u.baseAddress { pointer.update(from: base, count: u.count) }
                return u.count
            }
            pointer += n
        }
        mutating func slug(_ s: Slug) {
            u32(UInt32(s.utf8Count))
            string(s.org); u8(UInt8(ascii: ".")); string(s.env); u8(UInt8(ascii: ".")); string(s.key)
        }

        /// A string's whole field (`u32 length ‖ UTF-8`) as its own bytes.
        static func field(_ s: String) -> [UInt8] {
            let n = s.utf8.count
            return [UInt8](unsafeUninitializedCapacity: 4 + n) { buffer, initialized in
                var c = Cursor(buffer.baseAddress!)
                c.u32(UInt32(n)); c.string(s)
                initialized = 4 + n
            }
        }
    }
}
