import Foundation
import Testing

/// Issue 9's nginx items, through the repository's own config files rendered into a real nginx:
/// TLS 1.2 suites, the port-80 redirect and ACME location, and the /admin network restriction.
@Suite("nginx hardening")
struct NginxHardeningTests {
    private func curlTLS12(_ stack: TestStack, cipher: String) throws -> String {
        try runCommand(
            "/usr/bin/curl",
            [
                "-sk", "--tlsv1.2", "--tls-max", "1.2", "--ciphers", cipher, "-o", "/dev/null", "-w", "%{http_code}",
                "https://127.0.0.1:\(stack.httpsPort)/health",
            ]
        ).output
    }

    @Test func tls12OffersOnlyForwardSecretAEADSuites() throws {
        let stack = try TestStack()
        for strong in [
            "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305",
        ] {
            #expect(try curlTLS12(stack, cipher: strong).hasPrefix("200"), "\(strong) refused")
        }
        for weak in [
            "ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA384", "AES128-GCM-SHA256",
        ] {
            #expect(!(try curlTLS12(stack, cipher: weak).hasPrefix("200")), "\(weak) accepted")
        }
    }

    @Test func redirectGoesToTheConfiguredNameWhateverHostTheClientSends() throws {
        let port = try FreePorts.take(1)[0]
        let stack = try TestStack(
            .init(nginxEnvironment: ["REDIRECT_PORT": String(port), "REDIRECT_SERVER_NAME": "auth.example.test"]))
        let redirect = RawHTTPClient(port: port)
        for host in ["evil.example.com", "auth.example.test.evil.com", "127.0.0.1:\(port)"] {
            let response = try redirect.exchange(
                Array("GET /auth/login?x=1 HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n".utf8))
            #expect(response.status == 301)
            #expect(response.headers["location"] == "https://auth.example.test/auth/login?x=1", "Host \(host)")
        }
        // HTTP/1.0 without a Host header at all.
        let bare = try redirect.exchange(Array("GET / HTTP/1.0\r\n\r\n".utf8))
        #expect(bare.headers["location"] == "https://auth.example.test/")
        _ = stack
    }

    @Test func acmeChallengesAreServedOverPlainHTTP() throws {
        let port = try FreePorts.take(1)[0]
        let stack = try TestStack(.init(nginxEnvironment: ["REDIRECT_PORT": String(port)]))
        let directory = stack.directory + "/nginx/acme/.well-known/acme-challenge"
        let token = "Xk3-tok_en" + UUID().uuidString.prefix(8)
        try "\(token).key-authorization".write(toFile: directory + "/" + token, atomically: true, encoding: .utf8)
        let redirect = RawHTTPClient(port: port)
        let challenge = try redirect.get("/.well-known/acme-challenge/" + token)
        #expect(challenge.status == 200)
        #expect(challenge.text == "\(token).key-authorization")
        #expect(challenge.headers["content-type"]?.hasPrefix("text/plain") == true)
        #expect(try redirect.get("/.well-known/acme-challenge/missing").status == 404)
        #expect(try redirect.get("/.well-known/other").status == 301)
    }

    @Test func adminCanBeKeptToOperatorNetworks() throws {
        let rules = NSTemporaryDirectory() + "admin-access-\(UUID().uuidString).conf"
        try "allow 127.0.0.0/8;\ndeny all;\n".write(toFile: rules, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: rules) }
        let stack = try TestStack(.init(nginxEnvironment: ["ADMIN_ACCESS_CONF": rules]))
        let outsider = RawHTTPClient(port: stack.httpPort, sourceAddress: try LocalAddresses.nonLoopbackIPv4())
        for path in ["/admin/users", "/admin/sessions", "/admin", "/admin/audit-log?limit=1"] {
            let refused = try outsider.get(path, headers: ["Authorization": "Basic YWRtaW46YWRtaW4tcGFzc3dvcmQ="])
            #expect(refused.status == 403, "\(path): \(refused.status)")
            #expect(refused.detail == "Forbidden")
        }
        #expect(try outsider.get("/health").status == 200)
        // nginx resolves the encoded dot-segments to `/x`, outside the `/admin` location: the
        // service must not take it for an admin route (no password check, no throttle, no audit).
        let traversal = try outsider.send(
            method: "DELETE", target: "/admin/sessions/%2e%2e%2f%2e%2e%2fx",
            headers: ["Authorization": "Basic YWRtaW46d3Jvbmc="], body: nil)
        #expect(traversal.status == 404, "\(traversal.status) \(traversal.text)")
        #expect(
            try SQLiteShell.run(
                stack.databasePath, "SELECT count(*) FROM audit_events WHERE event_type = 'admin_auth_failed'") == ["0"]
        )
        let operator_ = try stack.http.get(
            "/admin/users", headers: ["Authorization": "Basic YWRtaW46YWRtaW4tcGFzc3dvcmQ="])
        #expect(operator_.status == 200)
    }

    /// The operator's opt-out: an openapi-access.conf that denies an address keeps the contract from it.
    @Test func openAPIDocumentCanBeKeptToOperatorNetworks() throws {
        let rules = NSTemporaryDirectory() + "openapi-access-\(UUID().uuidString).conf"
        try "allow 127.0.0.0/8;\ndeny all;\n".write(toFile: rules, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: rules) }
        let stack = try TestStack(.init(nginxEnvironment: ["OPENAPI_ACCESS_CONF": rules]))
        let outsider = RawHTTPClient(port: stack.httpPort, sourceAddress: try LocalAddresses.nonLoopbackIPv4())
        let refused = try outsider.get("/openapi.yaml")
        #expect(refused.status == 403)
        #expect(refused.detail == "Forbidden")
        #expect(try outsider.get("/health").status == 200)
        #expect(try stack.http.get("/openapi.yaml").status == 200)
    }

    @Test func adminIsOpenToEveryAddressByDefault() throws {
        let stack = try TestStack()
        let outsider = RawHTTPClient(port: stack.httpPort, sourceAddress: try LocalAddresses.nonLoopbackIPv4())
        #expect(try outsider.get("/admin/users").status == 401)
        #expect(try outsider.get("/openapi.yaml").status == 200)
    }
}
