import Foundation
import HHAuth
import HTTPCore

/// Check 4: HH's token host and API host answer through the transport `serve` uses, with a request
/// that changes nothing (``HHReachability``), over TLS unless they are a stand-in on loopback, and
/// as HH answers it (not a 5xx or 429: HH failing or throttling); and `HH_USER_AGENT` names a
/// contact, as HH asks, and HH does not refuse it (400 `bad_user_agent`).
struct HeadHunterCheck {
    struct Outcome {
        var findings: [DoctorFinding]
        /// HH's clock, from an answer's `Date` header.
        var date: Date?
    }

    let configuration: Configuration?
    /// `nil`: `serve`'s own, ``URLSessionTransport`` with `HH_TIMEOUT_SECONDS`.
    var transport: (any HHTransport)? = nil

    func run() -> Outcome {
        guard let configuration else {
            return Outcome(
                findings: ["hh-token-host", "hh-api-host", "user-agent"].map { .notChecked($0, needs: "settings") })
        }
        let settings = configuration.headHunter
        let reachability = HHReachability(
            settings: settings, transport: transport ?? URLSessionTransport(requestTimeout: settings.requestTimeout))
        var outcome = Outcome(findings: [])
        var refusal: HHReachability.Answer?
        let hosts: [(check: String, host: HHReachability.Host, setting: String)] = [
            ("hh-token-host", .token, "HH_TOKEN_URL"), ("hh-api-host", .api, "HH_API_URL"),
        ]
        for (check, host, setting) in hosts {
            let url = reachability.url(of: host)
            if let plain = Self.plainHTTPHost(url) {
                outcome.findings.append(
                    .fail(
                        check, "\(setting) is plain http to \(plain), which is not a stand-in on loopback",
                        "use https (HH's: \(host == .token ? "https://api.hh.ru/token" : "https://api.hh.ru"))"))
                continue
            }
            do {
                let answer = try reachability.probe(host)
                outcome.findings.append(Self.answered(answer, check: check, host: host, setting: setting))
                outcome.date = outcome.date ?? answer.date
                if answer.refusesUserAgent { refusal = refusal ?? answer }
            } catch {
                outcome.findings.append(
                    .fail(
                        check, "HH did not answer GET \(url): \(error)",
                        "check \(setting), that its host resolves (DNS) and that outbound https to it is open; HH_TIMEOUT_SECONDS (\(Self.seconds(settings.requestTimeout))) bounds the wait"
                    ))
            }
        }
        outcome.findings.append(Self.userAgent(settings.userAgent, refusal: refusal))
        return outcome
    }

    /// The host check's line for an HTTP answer: ok only for what HH answers this request when it
    /// works; a refused User-Agent is the user-agent check's failure, not the host's.
    static func answered(
        _ answer: HHReachability.Answer, check: String, host: HHReachability.Host, setting: String
    ) -> DoctorFinding {
        let transport = answer.url.lowercased().hasPrefix("https:") ? "over TLS" : "plain http on loopback"
        let saw = "GET \(answer.url) answered \(answer.status) in \(Int(answer.seconds * 1000)) ms (\(transport))"
        if answer.refusesUserAgent { return .ok(check, "\(saw); HH refused the User-Agent (see user-agent)") }
        switch answer.outcome {
        case .serverError:
            return .fail(
                check, "HH is failing: \(saw)",
                "HH, or a proxy on the way to it, is down: nothing that calls HH works; run doctor again later and check \(setting) if it lasts"
            )
        case .rateLimited:
            return .fail(
                check, "HH is throttling this host: \(saw)",
                "run doctor again later; if it lasts, something on this host calls HH too often")
        default:
            break
        }
        if host.expects(answer.status) { return .ok(check, saw) }
        let (expected, theirs) =
            host == .token
            ? ("a GET without a grant with a 4xx", "https://api.hh.ru/token")
            : ("/me without a token with 401 or 403", "https://api.hh.ru")
        return .fail(
            check, "\(saw), where HH answers \(expected)", "check \(setting): it may not be HH's (HH's: \(theirs))")
    }

    /// The host of a plain-http `url` that is not on loopback; `nil` for https, or a loopback stand-in.
    static func plainHTTPHost(_ url: String) -> String? {
        guard let components = URLComponents(string: url), components.scheme?.lowercased() == "http" else {
            return nil
        }
        let host = (components.host ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return host == "localhost" || LoopbackAddress.contains(host) ? nil : host
    }

    /// `refusal`: an answer in which HH refused the User-Agent (400 `bad_user_agent`).
    static func userAgent(_ userAgent: String, refusal: HHReachability.Answer? = nil) -> DoctorFinding {
        let remedy =
            "set HH_USER_AGENT to `YourApp/1.0 (you@your-domain)`: HH asks every application for a contact and may block one without"
        let refused = refusal.map { "HH refused it: GET \($0.url) answered \($0.status) bad_user_agent" }
        if userAgent == Configuration.HeadHunter.defaultUserAgent {
            let problem = "HH_USER_AGENT is not set: HH is sent the placeholder \"\(userAgent)\""
            return .fail("user-agent", [problem, refused].compactMap { $0 }.joined(separator: "; "), remedy)
        }
        guard let contact = HHUserAgent.contact(in: userAgent) else {
            let problem = "HH_USER_AGENT \"\(userAgent)\" names no contact (an e-mail address or URL)"
            return .fail("user-agent", [problem, refused].compactMap { $0 }.joined(separator: "; "), remedy)
        }
        if let refusal {
            return .fail(
                "user-agent",
                "HH refused HH_USER_AGENT \"\(userAgent)\": GET \(refusal.url) answered \(refusal.status) bad_user_agent",
                "HH may have blocked this one: check HH_USER_AGENT names this application and a contact HH can reach (\(contact)), and ask HH's API support"
            )
        }
        return .ok("user-agent", "HH_USER_AGENT \"\(userAgent)\", contact \(contact)")
    }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}
