@testable import KeyrackCore  // scripts/fuzz builds with -enable-testing: HostManifest.decode(split:)
import KeyrackYAML

// The host manifest's fast path (YAMLSubsetScanner) against libyaml: whatever the subset reader
// takes must be a document libyaml reads to the very same events (read one by one, or with each
// `key: value` line at once) and the same manifest (or that both refuse as a manifest).
// Declining is always allowed: libyaml then reads it.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzManifestSubset(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let events = try? YAMLReader.events(bytes, path: .subsetOnly) else { return 0 }
    guard let reference = try? YAMLReader.events(bytes, path: .libyaml) else {
        preconditionFailure("the subset reader took a document libyaml refuses")
    }
    precondition(events == reference, "the subset reader's events differ from libyaml's")
    // Lines read in one step (`enterMapping(pairs:)`) must be the two events each stands for.
    guard let paired = try? YAMLReader.events(bytes, path: .subsetOnly, pairs: true) else {
        preconditionFailure("the subset reader took a document event by event but not with its pairs read at once")
    }
    precondition(paired == events, "the subset reader's pairs differ from its events")
    let subset = Result { try HostManifest.decode(yaml: bytes, path: .subsetOnly) }
    let libyaml = Result { try HostManifest.decode(yaml: bytes, path: .libyaml) }
    switch (subset, libyaml) {
    case (.success(let a), .success(let b)): precondition(a == b, "the subset reader's manifest differs from libyaml's")
    case (.failure, .failure): break
    case (.success, .failure): preconditionFailure("the subset reader loaded a manifest libyaml's path refuses")
    case (.failure, .success): preconditionFailure("the events agree but the subset reader's path refused the manifest")
    }
    // `keys:` read on two threads (KeysHalf) from a seam the input picks: the one reader's
    // manifest, or a refusal as the one reader's.
    let seam = Int(bytes[0]) * bytes.count / 256
    switch (subset, Result { try HostManifest.decode(yaml: bytes, path: .subsetOnly, split: .near(seam)) }) {
    case (.success(let a), .success(let b)): precondition(a == b, "the keys read on two threads differ from the one reader's")
    case (.failure, .failure): break
    default: preconditionFailure("the keys read on two threads and on one disagree on whether the manifest is valid")
    }
    return 0
}
