import Foundation
import Testing

@testable import hh_auth

/// Who may connect to a unix socket: search on every directory above it, write on the socket; one
/// permission class applies (owner, else group, else other), and root passes.
@Suite("Doctor: unix socket access")
struct UnixSocketAccessTests {
    let wwwData = UnixAccount(name: "www-data", uid: 33, groups: [33])
    let service = UnixAccount(name: "hh-auth", uid: 990, groups: [990])

    private func directory(_ mode: mode_t, owner: uid_t = 0, group: gid_t = 0) -> FileAccess {
        FileAccess(owner: owner, group: group, mode: S_IFDIR | mode)
    }

    private func socket(_ mode: mode_t, owner: uid_t, group: gid_t) -> FileAccess {
        FileAccess(owner: owner, group: group, mode: S_IFSOCK | mode)
    }

    /// The shipped units: `/run/hh-auth` 0755, the socket www-data:www-data 0660.
    private var shipped: [String: FileAccess] {
        [
            "/": directory(0o755), "/run": directory(0o755), "/run/hh-auth": directory(0o755),
            "/run/hh-auth/fcgi.sock": socket(0o660, owner: 33, group: 33),
        ]
    }

    private func check(_ account: UnixAccount, _ files: [String: FileAccess]) -> UnixSocketAccess {
        UnixSocketAccess.check(
            account, path: "/run/hh-auth/fcgi.sock", lookup: { files[$0].map(FileAccess.Lookup.found) ?? .missing })
    }

    @Test func theShippedSocketLetsNginxInAndNotOthers() {
        #expect(check(wwwData, shipped) == .allowed(socket: socket(0o660, owner: 33, group: 33)))
        #expect(check(service, shipped) == .socketClosed(socket(0o660, owner: 33, group: 33)))
        let root = UnixAccount(name: "root", uid: 0, groups: [0])
        #expect(check(root, shipped) == .allowed(socket: socket(0o660, owner: 33, group: 33)))
    }

    @Test func aPathThisProcessMayNotLookAtIsSaidSo() {
        let lookup: (String) -> FileAccess.Lookup = { path in
            path == "/run/hh-auth" ? .unreadable(reason: "Permission denied") : .found(directory(0o755))
        }
        #expect(
            UnixSocketAccess.check(wwwData, path: "/run/hh-auth/fcgi.sock", lookup: lookup)
                == .unreadable(path: "/run/hh-auth", reason: "Permission denied"))
    }

    @Test func theSocketsGroupLetsItsMembersIn() {
        var files = shipped
        files["/run/hh-auth/fcgi.sock"] = socket(0o660, owner: 990, group: 990)
        #expect(check(wwwData, files) == .socketClosed(socket(0o660, owner: 990, group: 990)))
        let member = UnixAccount(name: "www-data", uid: 33, groups: [33, 990])
        #expect(check(member, files) == .allowed(socket: socket(0o660, owner: 990, group: 990)))
    }

    @Test func theOwnersClassAppliesEvenWhenOthersMayMore() {
        var files = shipped
        files["/run/hh-auth/fcgi.sock"] = socket(0o466, owner: 33, group: 0)
        #expect(check(wwwData, files) == .socketClosed(socket(0o466, owner: 33, group: 0)))
    }

    @Test func aDirectoryWithoutSearchPermissionIsNamed() {
        var files = shipped
        files["/run/hh-auth"] = directory(0o700, owner: 990, group: 990)
        #expect(
            check(wwwData, files) == .directoryClosed(path: "/run/hh-auth", directory(0o700, owner: 990, group: 990)))
        files["/run/hh-auth"] = directory(0o710, owner: 990, group: 33)
        #expect(check(wwwData, files) == .allowed(socket: socket(0o660, owner: 33, group: 33)))
    }

    @Test func somethingMissingOrNotASocket() {
        var files = shipped
        files["/run/hh-auth/fcgi.sock"] = nil
        #expect(check(wwwData, files) == .missing(path: "/run/hh-auth/fcgi.sock"))
        files["/run/hh-auth"] = nil
        #expect(check(wwwData, files) == .missing(path: "/run/hh-auth"))
        files = shipped
        files["/run/hh-auth/fcgi.sock"] = FileAccess(owner: 33, group: 33, mode: S_IFREG | 0o666)
        #expect(check(wwwData, files) == .notASocket(FileAccess(owner: 33, group: 33, mode: S_IFREG | 0o666)))
    }

    @Test func directoriesAboveAPath() {
        #expect(UnixSocketAccess.directories(above: "/run/hh-auth/fcgi.sock") == ["/", "/run", "/run/hh-auth"])
        #expect(UnixSocketAccess.directories(above: "/fcgi.sock") == ["/"])
    }

    @Test func theModeIsShownAsOperatorsWriteIt() {
        #expect(FileAccess(owner: 0, group: 0, mode: S_IFSOCK | 0o660).description == "root:root 0660")
        #expect(FileAccess(owner: 0, group: 0, mode: S_IFDIR | 0o1777).description == "root:root 1777")
    }
}
