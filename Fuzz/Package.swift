// swift-tools-version:6.0
// libFuzzer targets for every keyrack parser that reads outside input. Built apart from the main
// package so the main package never carries sanitizer flags: scripts/fuzz builds this with
//   swift build -c release --scratch-path ../.build-fuzz --sanitize fuzzer --sanitize address \
//     -Xswiftc -sanitize=fuzzer,address \
//     -Xswiftc -enable-testing
// (`-enable-testing` lets the daemon target reach the internal frame decoder through
// `@testable import`). Each target is one file defining LLVMFuzzerTestOneInput; libFuzzer
// supplies `main`. Seeds live in Corpus/<target>/, crashes found in Regressions/<target>/.
import Foundation
import PackageDescription

// A path dependency's identity is its folder's name, which differs between checkouts
// (/work/main, ~/src/keyrack, a CI workspace), so it is computed rather than spelled.
let mainPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let mainIdentity = mainPackage.lastPathComponent.lowercased()
let parsers = Target.Dependency.product(name: "KeyrackParsers", package: mainIdentity)

let targets = [
    "fuzz-age-header", "fuzz-age-armor", "fuzz-age-stream", "fuzz-manifest-yaml", "fuzz-manifest-subset",
    "fuzz-daemon-frame", "fuzz-piv-apdu", "fuzz-ssh-public-key", "fuzz-ssh-private-key",
    "fuzz-env-file", "fuzz-inject-template",
]

let package = Package(
    name: "keyrack-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: "../"),
    ],
    targets: targets.map { name in
        // AgeFormat and AgeSSH call libcrypto; the main package leaves its linking to each binary.
        .executableTarget(name: name, dependencies: [parsers], path: "Sources/\(name)", linkerSettings: [.linkedLibrary("crypto")])
    },
    swiftLanguageModes: [.v5]
)
