import ArgumentParser
import XCTest
@testable import keyrack_cli

/// UnlockFastPath reads a command line only where it reads it as ArgumentParser does: every line
/// it takes, ArgumentParser parses to the same UnlockArguments; the lines people type are taken
/// (else the speed it exists for is gone unseen); every option of unlock's is one it knows.
final class UnlockFastPathTests: XCTestCase {
    /// What ArgumentParser makes of the line, as UnlockArguments; nil where it refuses it.
    private func parsedByArgumentParser(_ words: [String]) -> UnlockArguments? {
        guard let command = try? Keyrack.parseAsRoot(words) as? UnlockCommand else { return nil }
        return UnlockArguments(owner: command.options.owner, json: command.options.json, env: command.env, identityAgent: command.identityAgent,
                               key: command.key, duration: command.duration, using: command.using, identityPaths: command.identityPaths,
                               pin: command.pin.input)
    }

    func testTheLinesPeopleTypeAreTakenAndReadAsArgumentParserReadsThem() throws {
        let lines: [[String]] = [
            ["unlock", "--env", "test"],
            ["unlock", "--for", "robot-1", "--env", "prod", "--duration", "2h"],
            ["unlock", "--owner", "ci", "--env", "all", "--json"],
            ["unlock", "--env", "sudo", "--key", "DB_PASSWORD", "--duration", "10m"],
            ["unlock", "--identity-agent"],
            ["unlock", "--identity-agent", "--duration", "30m", "--for", "robot"],
            ["unlock", "--env", "test", "--identity-agent", "--json"],
            ["unlock", "--env", "test", "--using", "ssh", "--identity", "/home/u/.ssh/id_ed25519", "--identity", "/tmp/x y.txt"],
            ["unlock", "--env", "test", "--using", "age"],
            ["unlock", "--env", "prod", "--pin-stdin"],
            ["unlock", "--env", "prod", "--pin-file", "/run/user/1000/pin"],
            ["unlock", "--json", "--key", "acme.test.API_KEY", "--env", "test"],
        ]
        for line in lines {
            let fast = try XCTUnwrap(UnlockFastPath.parse(line), "the fast path declines \(line)")
            XCTAssertEqual(fast, parsedByArgumentParser(line), "\(line)")
        }
        XCTAssertEqual(UnlockFastPath.parse(["unlock", "--for", "r", "--env", "test", "--pin-file", "/p", "--identity", "/i"]),
                       UnlockArguments(owner: "r", env: "test", identityPaths: ["/i"], pin: .file("/p")))
    }

    /// Lines it must leave to ArgumentParser: help, forms it does not read, repeats, values a
    /// check refuses, words that are not unlock's. Each one ArgumentParser refuses or reads some
    /// way the fast path would have to copy.
    func testEverythingElseIsLeftToArgumentParser() {
        let lines: [[String]] = [
            [], ["get", "--env", "test"], ["unlock"], ["unlock", "--help"], ["unlock", "-h"], ["unlock", "--env", "test", "--help"],
            ["unlock", "--env=test"], ["unlock", "--env"], ["unlock", "--env", ""], ["unlock", "--env", "-x"], ["unlock", "--env", "--json"],
            ["unlock", "--env", "test", "--env", "prod"], ["unlock", "--for", "a", "--owner", "b", "--env", "test"],
            ["unlock", "--env", "test", "--json", "--json"], ["unlock", "--env", "test", "extra"], ["unlock", "--env", "test", "--"],
            ["unlock", "--env", "test", "--pin-stdin", "--pin-file", "/p"], ["unlock", "--env", "test", "--using", "yubikey"],
            ["unlock", "--env", "test", "--duration", "forever"], ["unlock", "--env", "sudo"], ["unlock", "--key", "K"],
            ["unlock", "--env", "no such env"], ["unlock", "--for", "../x", "--env", "test"], ["unlock", "--env", "test", "--jsno"],
            ["unlock", "--identity-agent", "--duration", "48h"], ["unlock", "--version"], ["--version"], ["unlock", "-e", "test"],
        ]
        for line in lines { XCTAssertNil(UnlockFastPath.parse(line), "\(line)") }
    }

    /// A line built from every option, in every order of a few, each taken one is ArgumentParser's reading.
    func testEveryTakenCombinationAgreesWithArgumentParser() {
        // Ten parts: 2 048 lines, each parsed by ArgumentParser where the fast path takes it.
        let parts: [[String]] = [["--for", "robot"], ["--json"], ["--env", "test"], ["--identity-agent"], ["--key", "API_KEY"],
                                 ["--duration", "1h"], ["--using", "age"], ["--identity", "/i1"], ["--identity", "/i2"], ["--pin-file", "/p"]]
        var taken = 0
        for mask in 0..<(1 << parts.count) {
            var line = ["unlock"]
            for (i, part) in parts.enumerated() where mask & (1 << i) != 0 { line += part }
            for order in [line, ["unlock"] + line.dropFirst().reversed()] {
                guard let fast = UnlockFastPath.parse(order) else { continue }
                taken += 1
                XCTAssertEqual(fast, parsedByArgumentParser(order), "\(order)")
            }
        }
        XCTAssertGreaterThan(taken, 200, "the fast path took too few of the combinations to be worth its place")
    }

    /// Every option `keyrack unlock --help` lists is one the fast path reads, so a new option
    /// is added to both or the fast path is seen to fall behind.
    func testItKnowsEveryOptionUnlockHas() {
        // The OPTIONS section's lines, each `  --name[, --other] [<value>]   help…`: the names before the help.
        let help = UnlockCommand.helpMessage(columns: 200)
        let options = help.components(separatedBy: "OPTIONS:").last ?? ""
        var listed = Set<String>()
        for line in options.split(separator: "\n") {
            let synopsis = line.drop { $0 == " " }.components(separatedBy: "  ").first ?? ""
            for word in synopsis.split(whereSeparator: { " ,".contains($0) }) where word.hasPrefix("--") { listed.insert(String(word)) }
        }
        XCTAssertEqual(listed.subtracting(["--help", "--version"]), Set(UnlockFastPath.names))
    }
}
