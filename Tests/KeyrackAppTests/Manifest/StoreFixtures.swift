import Foundation
import KeyrackApp
import KeyrackCore
import KeyrackNames
#if canImport(Glibc)
import Glibc
#endif

/// An age owner `name` in `store`, its identity file under the home, as `init --via age` makes one.
@discardableResult
func makeAgeOwner(_ name: String, in store: HostManifestStore, userHome: URL) throws -> OwnerName {
    let owner = try OwnerName(name)
    _ = try store.initialise(owner: owner, uid: nil, request: RecipientSetupRequest(owner: owner, home: store.home, userHome: userHome,
                                                                                     spec: .age(AgeRecipientSpec(postQuantum: false))))
    return owner
}

/// Every file under `root` (but `except`) and its bytes: what a refused change must leave as it was.
func fileSnapshot(_ root: URL, except: Set<String> = []) throws -> [String: Data] {
    var files: [String: Data] = [:]
    for case let path as String in FileManager.default.enumerator(atPath: root.path)?.allObjects ?? [] where !except.contains(path) {
        var isDir: ObjCBool = false
        let url = root.appendingPathComponent(path)
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), !isDir.boolValue { files[path] = try Data(contentsOf: url) }
    }
    return files
}

/// Variables of this process's environment set for one test; `restore()` (in tearDown) puts
/// back what was there.
final class EnvironmentOverride {
    private var saved: [String: String?] = [:]

    func set(_ name: String, _ value: String?) {
        if saved[name] == nil { saved[name] = .some(getenv(name).map { String(cString: $0) }) }
        if let value { setenv(name, value, 1) } else { unsetenv(name) }
    }

    func restore() {
        for (name, value) in saved { if let value = value ?? nil { setenv(name, value, 1) } else { unsetenv(name) } }
        saved = [:]
    }
}
