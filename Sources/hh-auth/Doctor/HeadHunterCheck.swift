import Foundation
import HHAuth
import HTTPCore

/// Check 4: HH's token host and API host answer through the transport `serve` uses, with a request
/// that changes nothing (``HHReachability``), over TLS unless they are a stand-in on loopback; and
/// `HH_USER_AGENT` names a contact, as HH asks.
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
                let transport = url.lowercased().hasPrefix("https:") ? "over TLS" : "plain http on loopback"
                outcome.findings.append(
                    .ok(
                        check, "GET \(url) answered \(answer.status) in \(Int(answer.seconds * 1000)) ms (\(transport))"
                    ))
                outcome.date = outcome.date ?? answer.date
            } catch {
                outcome.findings.append(
                    .fail(
                        check, "HH did not answer GET \(url): \(error)",
                        "check \(setting), that its host resolves (DNS) and that outbound https to it is open; HH_TIMEOUT_SECONDS (\(Self.seconds(settings.requestTimeout))) bounds the wait"
                    ))
            }
        }
        outcome.findings.append(Self.userAgent(settings.userAgent))
        return outcome
    }

    /// The host of a plain-http `url` that is not on loopback; `nil` for https, or a loopback stand-in.
    static func plainHTTPHost(_ url: String) -> String? {
        guard let components = URLComponents(string: url), components.scheme?.lowercased() == "http" else {
            return nil
        }
        let host = (components.host ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return host == "localhost" || LoopbackAddress.contains(host) ? nil : host
    }

    static func userAgent(_ userAgent: String) -> DoctorFinding {
        let remedy =
            "set HH_USER_AGENT to `YourApp/1.0 (you@your-domain)`: HH asks every application for a contact and may block one without"
        if userAgent == Configuration.HeadHunter.defaultUserAgent {
            return .fail("user-agent", "HH_USER_AGENT is not set: HH is sent the placeholder \"\(userAgent)\"", remedy)
        }
        guard let contact = HHUserAgent.contact(in: userAgent) else {
            return .fail(
                "user-agent", "HH_USER_AGENT \"\(userAgent)\" names no contact (an e-mail address or URL)", remedy)
        }
        return .ok("user-agent", "HH_USER_AGENT \"\(userAgent)\", contact \(contact)")
    }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}
