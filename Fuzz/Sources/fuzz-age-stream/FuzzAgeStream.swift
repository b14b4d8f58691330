import AgeFormat
import Foundation

// The whole decryptor, armored or binary, with the identity the seed files are encrypted to, so
// mutations of a seed's payload reach STREAM (chunk sizes, last-chunk flag, truncation, trailing
// data) instead of stopping at "no identity matched". Seeds: Fuzz/make-corpus.
//
// The identity is a throwaway made for fuzzing (Corpus/fuzz-age-stream.identity), read from the
// source tree this was built from; AgeFormatTests checks that the seeds decrypt with it.
private let identities: [any Identity] = {
    let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Corpus/fuzz-age-stream.identity").standardizedFileURL
    guard let text = try? String(contentsOf: file, encoding: .utf8),
          let ids = try? AgeKeys.parseIdentities(fileContents: text) else {
        fatalError("fuzz-age-stream: cannot read the fuzzing identity at \(file.path)")
    }
    return ids
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAgeStream(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? Age.decrypt(bytes, with: identities)
    return 0
}
