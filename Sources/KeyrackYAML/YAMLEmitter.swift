import CYAML

/// Writes a `YAMLNode` tree through libyaml's emitter, so quoting and escaping are libyaml's,
/// not ours: every string comes back byte for byte, whatever it holds (quotes, newlines, NUL,
/// `#`, leading spaces, "null").
///
/// Strings are written plain only when no YAML reader could take them for anything but that
/// string (no null/bool/number look-alikes, no indicators); everything else is double-quoted,
/// which is the one style that can spell every Unicode string. Byte strings that are not UTF-8
/// are written as `!!binary` base64 by the typed layer.
public enum YAMLEmitter {
    public static func emit(_ root: YAMLNode) throws -> [UInt8] {
        // The emitter lives on the heap, at one address for its whole life: EventWriter keeps a
        // pointer to it across calls, which `&local` does not allow (valid for one call only).
        let emitter = UnsafeMutablePointer<yaml_emitter_t>.allocate(capacity: 1)
        emitter.initialize(to: yaml_emitter_t())
        defer { emitter.deinitialize(count: 1); emitter.deallocate() }
        guard yaml_emitter_initialize(emitter) == 1 else { throw YAMLError(line: 0, "libyaml could not allocate an emitter") }
        defer { yaml_emitter_delete(emitter) }

        let sink = Sink()
        let box = Unmanaged.passRetained(sink)
        defer { box.release() }
        yaml_emitter_set_output(emitter, { data, buffer, size in
            guard let data, let buffer else { return 0 }
            Unmanaged<Sink>.fromOpaque(data).takeUnretainedValue().bytes.append(contentsOf: UnsafeBufferPointer(start: buffer, count: size))
            return 1
        }, box.toOpaque())
        yaml_emitter_set_unicode(emitter, 1)
        yaml_emitter_set_width(emitter, -1)  // never fold long lines: folding is where escapes go wrong
        yaml_emitter_set_indent(emitter, 2)

        let writer = EventWriter(emitter: emitter)
        var event = yaml_event_t()
        yaml_stream_start_event_initialize(&event, YAML_UTF8_ENCODING)
        try writer.emit(&event)
        yaml_document_start_event_initialize(&event, nil, nil, nil, 1)
        try writer.emit(&event)
        try writer.node(root)
        yaml_document_end_event_initialize(&event, 1)
        try writer.emit(&event)
        yaml_stream_end_event_initialize(&event)
        try writer.emit(&event)
        guard yaml_emitter_flush(emitter) == 1 else { throw writer.failure() }
        return sink.bytes
    }

    /// Whether `text` may be written unquoted and still read back as exactly this string by any
    /// YAML 1.1 or 1.2 reader.
    static func isUnambiguousPlain(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, bytes.count <= 1024 else { return false }
        func isWordByte(_ b: UInt8) -> Bool {
            (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39)
                || b == UInt8(ascii: "_") || b == UInt8(ascii: ".") || b == UInt8(ascii: "/") || b == UInt8(ascii: "-")
                || b == UInt8(ascii: "@") || b == UInt8(ascii: "+") || b == UInt8(ascii: "=")
        }
        guard bytes.allSatisfy(isWordByte) else { return false }
        // Leading indicators and anything that starts like a number, date or version.
        guard (first >= 0x61 && first <= 0x7a) || (first >= 0x41 && first <= 0x5a) || first == UInt8(ascii: "_") else { return false }
        let reserved: Set<String> = ["null", "true", "false", "yes", "no", "on", "off", "y", "n", "nan", "inf"]
        return !reserved.contains(text.lowercased())
    }
}

private final class Sink {
    var bytes: [UInt8] = []
}

private struct EventWriter {
    var emitter: UnsafeMutablePointer<yaml_emitter_t>

    init(emitter: UnsafeMutablePointer<yaml_emitter_t>) { self.emitter = emitter }

    func emit(_ event: inout yaml_event_t) throws {
        // yaml_emitter_emit takes ownership of the event, success or failure.
        guard yaml_emitter_emit(emitter, &event) == 1 else { throw failure() }
    }

    func failure() -> YAMLError {
        let problem = emitter.pointee.problem.map { String(cString: $0) } ?? "unknown error"
        return YAMLError(line: 0, "libyaml could not write the document: \(problem)")
    }

    func node(_ node: YAMLNode) throws {
        var event = yaml_event_t()
        switch node {
        case .scalar(let scalar, _):
            try self.scalar(scalar)
        case .sequence(let items, _):
            guard yaml_sequence_start_event_initialize(&event, nil, nil, 1, YAML_BLOCK_SEQUENCE_STYLE) == 1 else { throw failure() }
            try emit(&event)
            for item in items { try self.node(item) }
            yaml_sequence_end_event_initialize(&event)
            try emit(&event)
        case .mapping(let pairs, _):
            guard yaml_mapping_start_event_initialize(&event, nil, nil, 1, YAML_BLOCK_MAPPING_STYLE) == 1 else { throw failure() }
            try emit(&event)
            for pair in pairs {
                try scalar(YAMLScalar(pair.key, style: .quoted))
                try self.node(pair.value)
            }
            yaml_mapping_end_event_initialize(&event)
            try emit(&event)
        }
    }

    private func scalar(_ scalar: YAMLScalar) throws {
        var event = yaml_event_t()
        let style: yaml_scalar_style_t
        var plainImplicit: Int32 = 1, quotedImplicit: Int32 = 1
        var tag: String? = nil
        if let t = scalar.tag {
            // Tagged scalars (binary) carry their tag; they are base64, so plain is always safe.
            tag = t
            plainImplicit = 0
            quotedImplicit = 0
            style = YAML_PLAIN_SCALAR_STYLE
        } else if scalar.style == .plain {
            style = YAML_PLAIN_SCALAR_STYLE       // numbers and null, built by the typed layer
        } else if YAMLEmitter.isUnambiguousPlain(scalar.text) && String(validating: scalar.bytes, as: UTF8.self) != nil {
            style = YAML_PLAIN_SCALAR_STYLE
        } else {
            style = YAML_DOUBLE_QUOTED_SCALAR_STYLE
        }
        let ok: Int32 = scalar.bytes.withUnsafeBufferPointer { value in
            let base = value.baseAddress ?? UnsafePointer(bitPattern: 1)!
            if let tag {
                return tag.withCString { t in
                    t.withMemoryRebound(to: UInt8.self, capacity: tag.utf8.count + 1) { tp in
                        yaml_scalar_event_initialize(&event, nil, tp, base, Int32(value.count), plainImplicit, quotedImplicit, style)
                    }
                }
            }
            return yaml_scalar_event_initialize(&event, nil, nil, base, Int32(value.count), plainImplicit, quotedImplicit, style)
        }
        guard ok == 1 else { throw failure() }
        try emit(&event)
    }
}
