import KeyrackCore

// The host manifest loader (libyaml events → typed YAML → HostManifest). A manifest that loads
// must write back and load again to the same value: `set` rewrites manifests it has read.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzManifestYAML(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let manifest = try? HostManifest.decode(yaml: bytes) else { return 0 }
    let written = try! manifest.encodeYAML()
    let reread = try! HostManifest.decode(yaml: written)
    precondition(reread == manifest, "a loaded manifest changes when written and read back")
    return 0
}
