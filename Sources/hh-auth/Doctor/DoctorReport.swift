import Foundation

/// Prints each finding as soon as its check is done (a check of HH may wait out its timeout, and
/// the lines before it should be on the screen meanwhile), and remembers whether any failed.
final class DoctorReport {
    private(set) var failures = 0
    private let write: (String) -> Void

    init(write: @escaping (String) -> Void = { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) }) {
        self.write = write
    }

    func add(_ finding: DoctorFinding) {
        if !finding.passed { failures += 1 }
        write(finding.line)
    }

    func add(_ findings: [DoctorFinding]) {
        for finding in findings { add(finding) }
    }
}
