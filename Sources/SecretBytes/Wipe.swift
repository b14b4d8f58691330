import CSodium

// The one place secret bytes are wiped. Swift may have copied an array's bytes elsewhere (a
// resize, a copy-on-write), so wiping is best effort; it removes the copies this code owns as
// soon as it is done with them. sodium_memzero is a store the optimiser cannot drop.

/// Zeroes `bytes` in place; the count stays (a reused buffer, a value still being measured).
@inline(never)
public func zeroize(_ bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBytes { raw in
        if let base = raw.baseAddress, raw.count > 0 { sodium_memzero(base, raw.count) }
    }
}

/// Zeroes `bytes` and empties it: for a PIN, a key or a frame that is done with.
@inline(never)
public func wipe(_ bytes: inout [UInt8]) {
    zeroize(&bytes)
    bytes.removeAll()
}

/// Zeroes the storage behind `bytes` in place, even when other arrays share it. `zeroize`
/// cannot do that: on a shared buffer (a value pattern-matched out of an enum, an element of an
/// array that is itself still referenced) its mutable access copies first and zeroes the copy,
/// leaving the original in the heap. For buffers that carried values and are about to be
/// dropped by every holder.
@inline(never)
public func wipeStorage(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { raw in
        if let base = raw.baseAddress, raw.count > 0 { sodium_memzero(UnsafeMutableRawPointer(mutating: base), raw.count) }
    }
}

/// Zeroes `count` bytes at `pointer` (C buffers, slabs).
@inline(never)
public func zeroize(_ pointer: UnsafeMutableRawPointer, count: Int) {
    if count > 0 { sodium_memzero(pointer, count) }
}
