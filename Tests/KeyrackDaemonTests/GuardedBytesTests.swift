@testable import KeyrackDaemon
import Foundation
import XCTest

/// Values packed into shared guarded slabs: each reads back exactly, wiping one zeroes it and
/// leaves its neighbours intact, large values get their own slab, and 10 000 values stay within
/// a locked-memory budget that one `sodium_malloc` per value would exceed tenfold.
final class GuardedBytesTests: XCTestCase {
    /// Random bytes, never all zero: a kept value that happened to be all zero would read as
    /// wiped (`isZeroed`), and a 1-byte value is zero one time in 256 (the whole suite met it).
    private func randomValue(_ length: Int) -> [UInt8] {
        var value = (0..<length).map { _ in UInt8.random(in: 0...255) }
        if !value.isEmpty, value.allSatisfy({ $0 == 0 }) { value[0] = 1 }
        return value
    }

    func testNeighboursSurviveAWipeAndLargeValuesRoundTrip() throws {
        let values = (0..<500).map { i in randomValue(1 + i % 97) } + [randomValue(10_000), randomValue(70_000)]
        let guarded = try values.map { try GuardedBytes(copying: $0) }
        for (g, v) in zip(guarded, values) { XCTAssertEqual(g.withBytes { Array($0) }, v) }

        for (i, g) in guarded.enumerated() where i % 2 == 0 { g.wipe() }
        for (i, (g, v)) in zip(guarded, values).enumerated() {
            if i % 2 == 0 {
                XCTAssertTrue(g.isZeroed, "value \(i) not zeroed by its wipe")
                XCTAssertEqual(g.count, 0)
                XCTAssertEqual(g.withBytes { $0.count }, 0)
            } else {
                XCTAssertFalse(g.isZeroed)
                XCTAssertEqual(g.withBytes { Array($0) }, v, "value \(i) damaged by a neighbour's wipe")
            }
        }
    }

    func testTenThousandValuesStayWithinTheLockedMemoryBudget() throws {
        let before = try lockedKiB()
        let guarded = try (0..<10_000).map { _ in try GuardedBytes(copying: randomValue(40)) }
        let grown = try lockedKiB() - before
        // 10 000 × 40 bytes packed: about 10 slabs of 64 KiB. One sodium_malloc per value would
        // lock 10 000 pages (40 MiB), or hit RLIMIT_MEMLOCK and lock nothing.
        XCTAssertGreaterThan(grown, 0, "the values are not locked in RAM")
        XCTAssertLessThan(grown, 2048, "locked memory grew by \(grown) KiB for 10 000 small values")
        guarded.forEach { $0.wipe() }
    }

    func testConcurrentReadersAndWipersAgree() throws {
        let values = (0..<2000).map { _ in randomValue(32) }
        let guarded = try values.map { try GuardedBytes(copying: $0) }
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for i in stride(from: worker, to: guarded.count, by: 8) {
                XCTAssertEqual(guarded[i].withBytes { Array($0) }, values[i])
                if i % 3 == 0 { guarded[i].wipe() }
            }
        }
        for (i, g) in guarded.enumerated() {
            XCTAssertEqual(g.isZeroed, i % 3 == 0)
        }
    }

    /// A batch (an unlock's values) opens each slab for writing once, not once per value: the
    /// two mprotect calls per value were 20 000 system calls at 10 000 grants. Values read back
    /// exactly, and a batch wipe zeroes them all.
    func testABatchOpensEachSlabOnceForCopyAndWipe() throws {
        let values = (0..<1000).map { i in randomValue(20 + i % 40) }
        let before = GuardedSlab.writes
        let guarded = try GuardedBytes.copying(values)
        let copyWrites = GuardedSlab.writes - before
        // 1000 values of 20–59 bytes fill one or two 64 KiB slabs (one more when the current
        // slab was nearly full); one open per value would be 1000.
        XCTAssertLessThanOrEqual(copyWrites, 3, "\(copyWrites) slab writes for one batch of 1000 values")
        for (g, v) in zip(guarded, values) { XCTAssertEqual(g.withBytes { Array($0) }, v) }

        let beforeWipe = GuardedSlab.writes
        GuardedBytes.wipeAll(guarded)
        XCTAssertLessThanOrEqual(GuardedSlab.writes - beforeWipe, 3)
        for g in guarded {
            XCTAssertTrue(g.isZeroed)
            XCTAssertEqual(g.count, 0)
        }
    }

    /// Values reserved and written on several threads at once (concurrent unlocks into one
    /// daemon) never deadlock. The slab write counter once took the slabs' shared lock while a
    /// slab's own lock was held, and a reservation takes them the other way round: two unlocks
    /// then hung the daemon for good, every client timing out (DaemonRobustnessTests
    /// testConcurrentUnlocksStartOneDaemon). The threads run detached so a deadlock is reported
    /// at the deadline instead of hanging the suite.
    func testConcurrentReservationsAndWritesDoNotDeadlock() {
        let threads = 4, rounds = 5_000
        let group = DispatchGroup()
        for worker in 0..<threads {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                for round in 0..<rounds {
                    // One value at a time (reserve, then write), and batches (reserve many, write once).
                    if round % 2 == 0, let g = try? GuardedBytes(copying: [UInt8(worker), UInt8(round & 0xff)]) {
                        g.wipe()
                    } else if let batch = try? GuardedBytes.copying([[1, 2, 3], [UInt8(worker)]]) {
                        GuardedBytes.wipeAll(batch)
                    }
                }
            }
        }
        XCTAssertEqual(group.wait(timeout: .now() + 60), .success,
                       "\(threads) threads × \(rounds) guarded copies did not finish in 60 s: the slab locks deadlocked")
    }

    /// VmLck of this process from /proc/self/status, in KiB.
    private func lockedKiB() throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try XCTUnwrap(status.split(separator: "\n").first { $0.hasPrefix("VmLck:") })
        return try XCTUnwrap(Int(line.split(separator: " ").dropFirst().first ?? ""))
    }

    /// A batch wipe zeroes back-to-back values as one stretch: it must still leave every value
    /// it was not given as it was (the ones between, and a batch's values wiped in any order),
    /// across slabs and with a value large enough for a slab of its own among them.
    func testABatchWipeZeroesOnlyTheValuesItIsGiven() throws {
        let values = (0..<3000).map { i in randomValue(i == 1500 ? 5000 : 1 + i % 23) }
        let guarded = try GuardedBytes.copying(values)
        for (g, v) in zip(guarded, values) { XCTAssertEqual(g.withBytes { Array($0) }, v) }
        // Every third value kept, the rest wiped in shuffled order, one of them twice.
        let (kept, wiped) = (guarded.indices.filter { $0 % 3 == 1 }, guarded.indices.filter { $0 % 3 != 1 })
        GuardedBytes.wipeAll(wiped.shuffled().map { guarded[$0] } + [guarded[wiped[0]]])
        for i in wiped { XCTAssertTrue(guarded[i].isZeroed, "value \(i)"); XCTAssertEqual(guarded[i].count, 0) }
        for i in kept { XCTAssertEqual(guarded[i].withBytes { Array($0) }, values[i], "value \(i)") }
        GuardedBytes.wipeAll(kept.map { guarded[$0] })
        XCTAssertTrue(guarded.allSatisfy(\.isZeroed))
    }
}
