import Foundation
import XCTest
@testable import AgeFormat
@testable import Locking

/// The pipeline's own threads and core count (PipelineThreads), which replaced Dispatch and
/// ProcessInfo so the static front end can run the pipeline without Foundation.
final class PipelineThreadsTests: XCTestCase {
    /// The depth of the pipeline is the cores this process may use, as Foundation counts them.
    func testMachineParallelismIsTheCoresThisProcessMayUse() {
        XCTAssertEqual(CPUs.available, ProcessInfo.processInfo.activeProcessorCount)
        XCTAssertEqual(STREAMParallelism.machine.workers, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// The affinity mask is read from the `Cpus_allowed:` line alone (not `Cpus_allowed_list:`),
    /// every hex digit's bits counted, commas between words skipped.
    func testAllowedCPUsCountsTheMaskBits() {
        func count(_ text: String) -> Int? { CPUs.allowed(Array(text.utf8)[...]) }
        XCTAssertEqual(count("Name:\tx\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\n"), 2)
        XCTAssertEqual(count("Name:\tx\nCpus_allowed:\tff,0000000F\nMems_allowed:\t1\n"), 12)
        XCTAssertEqual(count("Name:\tx\nCpus_allowed:\tA5"), 4)
        XCTAssertNil(count("Name:\tx\nCpus_allowed_list:\t0-7\n"))
        XCTAssertEqual(count("Cpus_allowed:\t3\n"), 2)
        XCTAssertNil(count("Name:\tCpus_allowed:\t3\n"))
    }

    /// Every worker index runs once, index 0 on the calling thread, and `run` returns only after all.
    func testRunStartsEachWorkerOnceAndWaitsForAll() {
        let monitor = Monitor()
        var seen: [Int] = []
        var onCaller = false
        let caller = pthread_self()
        PipelineThreads.run(5) { i in
            if i == 0 { onCaller = pthread_equal(pthread_self(), caller) != 0 }
            monitor.lock()
            seen.append(i)
            monitor.unlock()
        }
        XCTAssertEqual(seen.sorted(), [0, 1, 2, 3, 4])
        XCTAssertTrue(onCaller)
    }
}
