import Foundation
import Testing

/// A real browser: headless Chromium (Debian's `chromium`, which `make test` installs) signs in
/// through nginx and the HH stand-in, following the redirects itself, as a person would.
@Suite("Headless Chromium signs in")
struct BrowserTests {
    @Test func chromiumShowsAnExchangeCodeThatBuysASessionAndTheSuccessPageIsSaved() throws {
        let stack = try TestStack()
        let chromium = try HeadlessChromium(workDirectory: stack.directory)
        let loginURL = "http://127.0.0.1:\(stack.httpPort)/auth/login"

        // Codes are one-time: one login for the DOM (and the exchange), a second for the picture.
        let dom = try chromium.run(["--dump-dom", loginURL])
        let code = try #require(BrowserLogin.exchangeCode(in: dom), "no exchange code in the DOM:\n\(dom.prefix(2000))")
        #expect(code.count >= 22)
        #expect(dom.contains("<h1>Вход выполнен</h1>"))
        let exchange = try stack.http.post("/auth/exchange", json: ["exchange_code": code])
        #expect(exchange.status == 200)
        #expect((try exchange.json()["session_id"] as? String)?.count ?? 0 >= 43)

        let screenshot = try Self.outputDirectory() + "/success-page.png"
        try? FileManager.default.removeItem(atPath: screenshot)
        _ = try chromium.run(["--screenshot=\(screenshot)", "--window-size=1000,800", "--hide-scrollbars", loginURL])
        let png = try #require(FileManager.default.contents(atPath: screenshot), "no screenshot at \(screenshot)")
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        let size = try #require(Self.pngSize(png))
        #expect(size.width == 1000 && size.height == 800, "screenshot is \(size.width)x\(size.height)")
        // Both page loads were real sign-ins: HH issued a code for each and saw each exchanged.
        #expect(try stack.hh.stats()["code_grants"] == 2)
    }

    /// Issue 11: an app nginx protects (the development stack's /demo/), opened with no session:
    /// Chromium follows the sign-in redirects itself and ends on the page with the user's name.
    @Test func chromiumOpensTheProtectedDemoSignsInAndTheDemoPageIsSaved() throws {
        let stack = try ProtectedAppTests.demoStack()
        let chromium = try HeadlessChromium(workDirectory: stack.directory)
        let demoURL = "http://127.0.0.1:\(stack.httpPort)/demo/"

        let dom = try chromium.run(["--dump-dom", demoURL])
        #expect(dom.contains("id=\"demo-user\">HH id \(ProtectedAppTests.userID)<"), "\(dom.prefix(2000))")
        #expect(dom.contains("Алёна") && dom.contains(ProtectedAppTests.escapedLastName))
        #expect(try stack.hh.stats()["code_grants"] == 1)

        let screenshot = try Self.outputDirectory() + "/demo-page.png"
        try? FileManager.default.removeItem(atPath: screenshot)
        _ = try chromium.run(["--screenshot=\(screenshot)", "--window-size=1000,800", "--hide-scrollbars", demoURL])
        let png = try #require(FileManager.default.contents(atPath: screenshot), "no screenshot at \(screenshot)")
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        #expect(try stack.hh.stats()["code_grants"] ?? 0 >= 1)
    }

    /// `<repo>/.test-output/BrowserTests` (gitignored), kept after the run so a person can look.
    private static func outputDirectory() throws -> String {
        let path = TestStack.repository + "/.test-output/BrowserTests"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Width and height from a PNG's IHDR chunk.
    private static func pngSize(_ png: Data) -> (width: Int, height: Int)? {
        guard png.count >= 24 else { return nil }
        let bytes = [UInt8](png.prefix(24))
        let number = { (offset: Int) in bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) } }
        return (number(16), number(20))
    }
}

/// Debian's Chromium, headless, run as root (hence `--no-sandbox`) with a fresh profile and a time
/// budget. Its stderr (D-Bus and GPU chatter) goes to a log file next to the stack's logs.
private struct HeadlessChromium {
    let executable: String
    let profile: String
    let logPath: String

    init(workDirectory: String) throws {
        let candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        guard let found = candidates.first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw HarnessError("chromium is not installed: `make deps-test` (apt-get install chromium)")
        }
        executable = found
        profile = workDirectory + "/chromium-profile"
        logPath = workDirectory + "/chromium.log"
        try FileManager.default.createDirectory(atPath: profile, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
    }

    /// Runs Chromium under `timeout 60` on one URL; returns what it printed on stdout.
    func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments =
            ["60", executable, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
            + ["--user-data-dir=\(profile)"] + arguments
        let output = Pipe()
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        process.standardOutput = output
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let chatter = (try? String(contentsOfFile: logPath, encoding: .utf8))?.suffix(2000) ?? ""
            throw HarnessError("chromium exited \(process.terminationStatus) (124: timed out):\n\(chatter)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
