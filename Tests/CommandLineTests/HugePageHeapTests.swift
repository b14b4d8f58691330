#if canImport(Glibc)
import Glibc
#endif
import Foundation
@testable import keyrack_cli
import XCTest

/// `unlock`'s heap: large buffers stay in the heap, and the reserved block is advised onto huge
/// pages where the kernel has them. Asserted on the process's own mappings, not on timings
/// (whether the kernel finds a free 2 MiB page at a fault depends on the machine's memory).
final class HugePageHeapTests: XCTestCase {
    func testTheReservedBlockIsAdvisedOntoHugePagesWhereTheKernelHasThem() throws {
        let mode = try String(contentsOfFile: "/sys/kernel/mm/transparent_hugepage/enabled", encoding: .utf8)
        HugePageHeap.keepLargeBuffersInTheHeap()
        let range = try XCTUnwrap(HugePageHeap.reserve(bytes: 16 << 20), "madvise(MADV_HUGEPAGE) refused on a heap block")
        XCTAssertGreaterThanOrEqual(range.count, 12 << 20, "16 MiB less at most one huge page of alignment at each end")
        XCTAssertEqual(range.lowerBound % UInt(HugePageHeap.hugePageBytes), 0)
        // The kernel splits the heap's mapping at the advice: the range is a mapping of its own.
        let mapping = try XCTUnwrap(Self.smapsEntry(containing: range.lowerBound), "no mapping holds the advised range")
        XCTAssertEqual(mapping.range, range)
        XCTAssertEqual(mapping.thpEligible, mode.contains("[never]") ? 0 : 1, "THP mode: \(mode)")
    }

    func testABufferOfAMegabyteComesFromTheHeapNotAMappingOfItsOwn() throws {
        HugePageHeap.keepLargeBuffersInTheHeap()
        let buffer = try XCTUnwrap(malloc(1 << 20))
        defer { free(buffer) }
        // glibc's default gives a block over 128 KiB its own mmap, far above the program break.
        XCTAssertLessThan(UInt(bitPattern: buffer), UInt(bitPattern: sbrk(0)), "the buffer was mapped apart from the heap")
    }

    func testOnlyALargeManifestsUnlockReservesHeap() throws {
        let before = UInt(bitPattern: sbrk(0))
        XCTAssertNil(HugePageHeap.prepare(forManifestBytes: HugePageHeap.largeManifestBytes - 1))
        XCTAssertNil(HugePageHeap.prepare(forManifestBytes: nil))
        XCTAssertEqual(UInt(bitPattern: sbrk(0)), before, "a small or unknown manifest grew the heap")
        let range = try XCTUnwrap(HugePageHeap.prepare(forManifestBytes: HugePageHeap.largeManifestBytes))
        XCTAssertGreaterThanOrEqual(range.count, HugePageHeap.largeManifestBytes * 8 - 2 * HugePageHeap.hugePageBytes,
                                    "a large manifest's unlock reserves 8 times its size, less alignment")
    }

    /// The /proc/self/smaps entry whose mapping holds `address`: its range and THPeligible.
    private static func smapsEntry(containing address: UInt) throws -> (range: Range<UInt>, thpEligible: Int)? {
        var current: Range<UInt>?
        // Read to the end: a /proc file says size 0, and a read sized by that stops short.
        let smaps = try XCTUnwrap(FileHandle(forReadingAtPath: "/proc/self/smaps")).readDataToEndOfFile()
        for line in String(decoding: smaps, as: UTF8.self).split(separator: "\n") {
            let head = line.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
            let bounds = head.split(separator: "-")
            if bounds.count == 2, let lo = UInt(bounds[0], radix: 16), let hi = UInt(bounds[1], radix: 16) {
                current = lo..<hi
            } else if line.hasPrefix("THPeligible:"), let r = current, r.contains(address) {
                return (r, Int(line.split(separator: " ").last ?? "") ?? -1)
            }
        }
        return nil
    }
}
