import AgeFormat

// The whole decryptor, armored or binary, with an identity the seed files are encrypted to, so
// mutations of a seed's payload reach STREAM (chunk sizes, last-chunk flag, truncation, trailing
// data) instead of stopping at "no identity matched". Seeds: scripts/fuzz-seeds.
//
// Throwaway key made for fuzzing only: it protects nothing, and its seed files hold only
// generated filler. Its recipient is in Corpus/fuzz-age-stream.recipient.
private let identity = try! AgeKeys.parseIdentity(
    "AGE-SECRET-KEY-1DMX0CFZS45VHXFUGCLRLQYYJJPD5WWAQ264S6YL35G7QL648EXUQX4RJ8P")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAgeStream(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? Age.decrypt(bytes, with: [identity])
    return 0
}
