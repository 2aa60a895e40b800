import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `hh-auth doctor`'s socket check as the README runs it on the box (`sudo -u hh-auth hh-auth
/// doctor`): that user may not connect to nginx's 0660 socket, and whether something listens there
/// must not hang on it. `nobody` stands in for hh-auth (the tests run as root).
@Suite("hh-auth doctor: something listens on the socket")
struct DoctorSocketTests {
    /// The socket line of `hh-auth doctor --nginx-user root` run as `user` (root when nil), with
    /// only `FCGI_SOCKET` set: the settings fail, the socket check runs regardless.
    private func socketLine(_ path: String, in directory: String, as user: passwd?) throws -> String {
        let binary = TestStack.binaries + "/hh-auth"
        let command =
            user.map {
                ["/usr/bin/setpriv", "--reuid=\($0.pw_uid)", "--regid=\($0.pw_gid)", "--clear-groups", "--", binary]
            } ?? [binary]
        let output = try OperatorCLI.run(
            executable: command[0], Array(command.dropFirst()) + ["doctor", "--nginx-user", "root"],
            environment: [
                "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "FCGI_SOCKET": path,
            ],
            input: nil, directory: NSTemporaryDirectory(), timeoutSeconds: 30, workingDirectory: directory)
        #expect(output.status == 1, "the settings are incomplete: \(output)")
        return try #require(output.lines.first { $0.dropFirst(5).hasPrefix("socket:") }, "\(output)")
    }

    @Test func aStaleSocketFailsAndAListeningOneIsOkEvenForAUserThatMayNotConnect() throws {
        let nobody = try #require(getpwnam("nobody")?.pointee, "no user nobody on this machine")
        let base = ProcessInfo.processInfo.environment["HH_AUTH_TEST_TMP"] ?? NSTemporaryDirectory()
        let directory = (base as NSString).appendingPathComponent("hhsock-" + UUID().uuidString.prefix(8).lowercased())
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(chmod(directory, 0o755) == 0)
        let path = directory + "/fcgi.sock"

        // root:root 0660, as systemd makes it for nginx: nobody may not connect.
        let listener = try UnixListener(path: path)
        let listening = try socketLine(path, in: directory, as: nobody)
        #expect(listening.hasPrefix("ok   socket: root may connect to \(path)"), "\(listening)")
        #expect(listening.contains("something listens on it"), "\(listening)")
        #expect(try socketLine(path, in: directory, as: nil).hasPrefix("ok   socket:"))

        // The file outlives its listener, as a dead service's does.
        listener.close()
        #expect(FileManager.default.fileExists(atPath: path))
        for user in [nobody, nil] {
            let stale = try socketLine(path, in: directory, as: user)
            #expect(stale.hasPrefix("FAIL socket: root may connect to \(path)"), "\(stale)")
            #expect(stale.contains("nothing listens on it") && stale.contains("systemctl"), "\(stale)")
        }
    }
}
