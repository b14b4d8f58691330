import KeyrackDaemon
import KeyrackOutput
import KeyrackNames

// The `inject` template parser (InjectTemplate). A template without placeholders renders to
// itself; one with placeholders, rendered with each value spelled as its own placeholder, parses
// again to the same references and renders the same: text is never lost, doubled or reordered.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInjectTemplate(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let template = try? InjectTemplate(bytes, path: "fuzz.tpl") else { return 0 }
    let refs = template.references
    if refs.isEmpty {
        precondition(template.render([:]) == bytes, "a template without placeholders changed")
        return 0
    }
    var spelled: [Slug: [UInt8]] = [:]
    for slug in refs { spelled[slug] = Array("{{ keyrack://\(slug) }}".utf8) }
    let once = template.render(spelled)
    let again = try! InjectTemplate(once, path: "rendered.tpl")
    precondition(again.references == refs, "placeholders changed when spelled back")
    precondition(again.render(spelled) == once, "a re-spelled template renders differently")
    return 0
}
