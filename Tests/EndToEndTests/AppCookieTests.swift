import Foundation
import Testing

/// What an app behind nginx/hh-auth-identity.conf gets of the browser's `Cookie` header: every
/// hh-auth cookie cut out (the session cookie and the pre-auth `hh_auth_login_<flow>` cookies of
/// sign-ins under way, prefixed or not, anywhere in the header), the app's own cookies intact.
@Suite("The Cookie header an app behind auth_request gets")
struct AppCookieTests {
    /// The demo stack with `/app/`: an app behind the README's snippet that echoes the identity
    /// headers, `Cookie` and `Authorization` it receives.
    static func echoAppStack() throws -> TestStack {
        let directory = NSTemporaryDirectory() + "hhapp-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let app = directory + "/app.conf"
        try """
        location /app/ {
            auth_request /_hh_auth/verify;
            include \(TestStack.repository)/nginx/hh-auth-identity.conf;
            proxy_pass http://127.0.0.1:$server_port/_echo;
        }
        location = /_echo {
            default_type text/plain;
            return 200 "user=[$http_x_auth_request_user] email=[$http_x_auth_request_email] groups=[$http_x_auth_request_groups] token=[$http_x_auth_request_access_token] cookie=[$http_cookie] authorization=[$http_authorization] via=[$http_x_auth_request_via]";
        }
        """.write(toFile: app, atomically: true, encoding: .utf8)
        return try ProtectedAppTests.demoStack(.init(nginxEnvironment: ["EXTRA_SERVER_CONF": app]))
    }

    @Test func thePreAuthLoginCookiesAreCutWhereverTheyAreAndTheAppsOwnCookiesPass() throws {
        let stack = try Self.echoAppStack()
        let session = try BrowserLogin(stack: stack).session()
        let cases: [(sent: String, app: String)] = [
            ("a=1; hh_auth_login_f1=v1; b=2", "a=1; b=2"),
            ("hh_auth_login_f1=v1; a=1", "a=1"),
            ("a=1; hh_auth_login_f1=v1", "a=1"),
            ("hh_auth_login_f1=v1", ""),
            ("a=1;hh_auth_login_f1=v1;b=2", "a=1;b=2"),
            ("a=1; hh_auth_login_f1; b=2", "a=1; b=2"),
            // Names that merely contain the prefix are the app's.
            ("xhh_auth_login_a=1; hh_auth_login_f1=v1; a_hh_auth_login_=3", "xhh_auth_login_a=1; a_hh_auth_login_=3"),
            ("hh_auth_loginx=1; hh_auth_login=2", "hh_auth_loginx=1; hh_auth_login=2"),
            // Over HTTPS they are __Host-; copies planted as __Secure- or without a prefix go too.
            ("__Host-hh_auth_login_f1=v1; a=1; __Secure-hh_auth_login_f2=v2; b=2; hh_auth_login_f3=v3", "a=1; b=2"),
            // Three tabs signing in beside the session cookie.
            ("hh_auth_login_f1=1; hh_auth_login_f2=2; hh_auth_session=\(session); hh_auth_login_f3=3; a=1", "a=1"),
            (
                "hh_auth_login_f1=1; a=1; hh_auth_login_f2=2; b=2; hh_auth_login_f3=3; c=3; hh_auth_session=\(session); d=4",
                "a=1; b=2; c=3; d=4"
            ),
        ]
        // A real sign-in under way in this browser: its pre-auth cookie stays with hh-auth.
        let browser = try CurlBrowser(directory: stack.directory)
        let base = "http://127.0.0.1:\(stack.httpPort)"
        #expect(try browser.open(base + "/auth/login?rd=/app/", followRedirects: false).status == 302)
        #expect(browser.cookies().keys.contains { $0.hasPrefix("hh_auth_login_") })
        let underWay = try browser.open(
            base + "/app/", accept: "application/json", headers: ["Authorization": "Bearer \(session)"])
        #expect(underWay.status == 200)
        #expect(underWay.body.contains("cookie=[] authorization=[]"), "\(underWay.body)")

        for (sent, app) in cases {
            let answer = try stack.http.get(
                "/app/", headers: ["Cookie": sent, "Authorization": "Bearer \(session)", "Accept": "application/json"])
            #expect(answer.status == 200, "\(sent): \(answer.status)")
            #expect(answer.text.contains("cookie=[\(app)] authorization=[]"), "\(sent): \(answer.text)")
        }
    }

    @Test func aHeaderWithMoreRunsOfHHAuthCookiesThanTheRecipeCutsReachesTheAppAsNoCookieAtAll() throws {
        let stack = try Self.echoAppStack()
        let session = try BrowserLogin(stack: stack).session()
        let runs = (1...5).map { "hh_auth_login_f\($0)=\($0); a\($0)=\($0)" }.joined(separator: "; ")
        let answer = try stack.http.get(
            "/app/", headers: ["Cookie": runs, "Authorization": "Bearer \(session)", "Accept": "application/json"])
        #expect(answer.status == 200)
        #expect(answer.text.contains("cookie=[] authorization=[]"), "\(answer.text)")
    }
}
