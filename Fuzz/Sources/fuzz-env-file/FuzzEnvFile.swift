import KeyrackOutput

// The `exec --env-file` parser (EnvFile). It either names a line or yields entries whose names
// are variable names; and what `source --format dotenv` writes for a literal value (DotenvQuoting)
// must parse back to the same bytes, so the writer and the reader cannot drift apart.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEnvFile(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let file = try? EnvFile(path: "fuzz.env", bytes: bytes) else { return 0 }
    for entry in file.entries {
        precondition(!entry.name.isEmpty && entry.line >= 1, "an entry without a name or a line")
        guard case .literal(let value) = entry.value, DotenvQuoting.unrepresentable(value) == nil else { continue }
        let written = Array("\(entry.name)=".utf8) + DotenvQuoting.quoted(value) + [0x0a]
        let reread = try! EnvFile(path: "written.env", bytes: written)
        precondition(reread.entries.map(\.value) == [.literal(value)], "a dotenv value source writes reads back changed")
    }
    return 0
}
