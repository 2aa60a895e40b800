import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What the suites about the CLI on a production box share: scratch directories, `nobody`
/// standing in for the service's user `hh-auth` (the tests run as root), and running the binary as
/// either.
protocol ProductionCLITest {}

extension ProductionCLITest {
    /// A fresh directory, owned by `owner` (root when nil) and open to nobody else.
    func scratchDirectory(owner: passwd? = nil) throws -> String {
        let base = ProcessInfo.processInfo.environment["HH_AUTH_TEST_TMP"] ?? NSTemporaryDirectory()
        let path = (base as NSString).appendingPathComponent("hhprod-" + UUID().uuidString.prefix(8).lowercased())
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        if let owner {
            #expect(chown(path, owner.pw_uid, owner.pw_gid) == 0)
            #expect(chmod(path, 0o700) == 0)
        }
        return path
    }

    /// The unprivileged account that stands in for hh-auth.
    func nobody() throws -> passwd {
        try #require(getpwnam("nobody")?.pointee, "no user nobody on this machine")
    }

    /// `hh-auth arguments…` with exactly `environment` (and PATH), in `directory`; as `user` through
    /// `setpriv` (what `sudo -u` does, without needing sudo), else as root.
    func hhAuth(
        _ arguments: [String], in directory: String, environment: [String: String] = [:], as user: passwd? = nil
    ) throws -> CLIOutput {
        var all = environment
        all["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let binary = TestStack.binaries + "/hh-auth"
        let command =
            user.map {
                ["/usr/bin/setpriv", "--reuid=\($0.pw_uid)", "--regid=\($0.pw_gid)", "--clear-groups", "--", binary]
            }
            ?? [binary]
        return try OperatorCLI.run(
            executable: command[0], Array(command.dropFirst()) + arguments, environment: all, input: nil,
            directory: NSTemporaryDirectory(), timeoutSeconds: 30, workingDirectory: directory)
    }

    /// Each entry of `directory` with its owner's uid.
    func owners(_ directory: String) throws -> [String: uid_t] {
        var owners: [String: uid_t] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            var status = stat()
            #expect(lstat(directory + "/" + name, &status) == 0)
            owners[name] = status.st_uid
        }
        return owners
    }

    func write(_ text: String, to path: String, mode: mode_t = 0o600) throws {
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        #expect(chmod(path, mode) == 0)
    }

    /// `/bin/sh -c script args…` with exactly `environment` (and PATH): for what only a shell sets
    /// up (the umask).
    func shell(_ script: String, _ arguments: [String], in directory: String, environment: [String: String] = [:])
        throws -> CLIOutput
    {
        var all = environment
        all["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return try OperatorCLI.run(
            executable: "/bin/sh", ["-c", script] + arguments, environment: all, input: nil,
            directory: NSTemporaryDirectory(), timeoutSeconds: 30, workingDirectory: directory)
    }
}
