import Foundation

/// A browser as curl plays it, for the pages nginx protects with auth_request: one cookie file
/// (curl's cookie engine: `Secure`, `__Host-`, `Max-Age` as a browser keeps them), redirects
/// followed across the stack's ports (nginx, the stand-in), self-signed HTTPS accepted, and the
/// head of every answer on the way kept, `Set-Cookie` lines included.
struct CurlBrowser {
    /// Where the visit ended: the last answer's status, URL and body, and the heads of all answers.
    struct Visit {
        var status: Int
        var url: String
        var body: String
        /// One entry per answer, in order; header names lowercased, every line kept.
        var answers: [[(name: String, value: String)]]

        /// The values of `name` in the last answer.
        func header(_ name: String) -> [String] { Self.values(name, in: answers.last ?? []) }

        /// Every `Set-Cookie` value of every answer on the way.
        var setCookies: [String] { answers.flatMap { Self.values("set-cookie", in: $0) } }

        static func values(_ name: String, in answer: [(name: String, value: String)]) -> [String] {
            answer.filter { $0.name == name }.map(\.value)
        }
    }

    static let navigationAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

    let directory: String
    let cookieFile: String

    /// A new browser with an empty cookie file under `directory` (the stack's).
    init(directory: String, name: String = "browser-" + UUID().uuidString.prefix(8).lowercased()) throws {
        self.directory = directory + "/" + name
        cookieFile = self.directory + "/cookies.txt"
        try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: cookieFile, contents: nil)
    }

    /// Opens `url` as a browser navigation (Accept: text/html…), or as told.
    func open(
        _ url: String, method: String = "GET", accept: String = navigationAccept, headers: [String: String] = [:],
        followRedirects: Bool = true
    ) throws -> Visit {
        let heads = directory + "/heads.txt"
        let body = directory + "/body.bin"
        var arguments = [
            "-s", "-k", "-b", cookieFile, "-c", cookieFile, "-D", heads, "-o", body,
            "-w", "%{http_code} %{url_effective}", "-X", method, "-H", "Accept: \(accept)",
            "--max-redirs", "10", "--max-time", "30",
        ]
        // Only a GET is followed: curl -X would repeat a POST's method on the redirect target.
        if followRedirects && method == "GET" { arguments.append("-L") }
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { arguments += ["-H", "\(name): \(value)"] }
        arguments.append(url)
        let result = try runCommand("/usr/bin/curl", arguments)
        let parts = result.output.split(separator: " ", maxSplits: 1)
        guard result.status == 0, parts.count == 2, let status = Int(parts[0]) else {
            throw HarnessError("curl \(url): exit \(result.status): \(result.output)")
        }
        let headText = (try? String(contentsOfFile: heads, encoding: .utf8)) ?? ""
        let bodyText = (try? String(contentsOfFile: body, encoding: .utf8)) ?? ""
        return Visit(status: status, url: String(parts[1]), body: bodyText, answers: Self.answers(in: headText))
    }

    /// The cookies the file holds now: name → value (curl's Netscape format, `#HttpOnly_` lines too).
    func cookies() -> [String: String] {
        let text = (try? String(contentsOfFile: cookieFile, encoding: .utf8)) ?? ""
        var found: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let trimmed = line.hasPrefix("#HttpOnly_") ? line.dropFirst("#HttpOnly_".count) : line[...]
            guard !trimmed.hasPrefix("#") else { continue }
            let fields = trimmed.split(separator: "\t", omittingEmptySubsequences: false)
            if fields.count >= 7 { found[String(fields[5])] = String(fields[6]) }
        }
        return found
    }

    private static func answers(in text: String) -> [[(name: String, value: String)]] {
        var all: [[(name: String, value: String)]] = []
        for line in text.components(separatedBy: "\r\n") {
            if line.hasPrefix("HTTP/") {
                all.append([])
            } else if let colon = line.firstIndex(of: ":"), !all.isEmpty {
                all[all.count - 1].append(
                    (
                        line[..<colon].lowercased(),
                        line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                    ))
            }
        }
        return all
    }
}
