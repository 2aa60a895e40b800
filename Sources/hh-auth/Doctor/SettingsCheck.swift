import HHAuth

/// Check 1: the settings parse into the very ``Configuration``, ``ListenerSettings`` and ``LogFormat`` `serve`
/// builds, through the same ``ConfigurationParser`` (environment, `<NAME>_FILE`,
/// `$CREDENTIALS_DIRECTORY`), and agree with each other as `serve` requires.
struct SettingsCheck {
    struct Outcome {
        var finding: DoctorFinding
        /// `nil` when the library's settings do not parse.
        var configuration: Configuration?
        /// `nil` when `FCGI_SOCKET` or `FCGI_WEB_SERVER_ADDRS` does not parse; read on its own, so
        /// the socket is checked even when another setting is wrong.
        var listener: ListenerSettings?
    }

    static let name = "settings"
    let parser: ConfigurationParser
    /// The settings the parser was made from: for the `<NAME>_FILE` rule below.
    var settings: [String: String] = [:]

    /// The unit makes this directory inaccessible to the service (`InaccessiblePaths=`): systemd
    /// reads its env file and credentials for it, but a `<NAME>_FILE` there fails `serve` at start,
    /// while doctor, run as the service's user outside the sandbox, could read it.
    static let sandboxedDirectory = "/etc/hh-auth/"

    /// `<NAME>_FILE` settings naming a file the service cannot open in its sandbox, by name.
    static func filesHiddenFromTheService(_ settings: [String: String]) -> [String] {
        settings.filter { $0.key.hasSuffix("_FILE") && $0.value.hasPrefix(sandboxedDirectory) }.keys.sorted()
    }

    func run() -> Outcome {
        var errors: [ConfigurationError] = []
        var configuration: Configuration?
        do throws(ConfigurationError) {
            let parsed = try parser.parse()
            _ = try Gateway.returnTargets(for: parsed)
            configuration = parsed
        } catch {
            errors.append(error)
        }
        var listener: ListenerSettings?
        do throws(ConfigurationError) {
            listener = try ListenerSettings(parser)
            _ = try LogFormat(parser)
        } catch {
            errors.append(error)
        }
        // First: it is also why such a file may not be read (root may read it; the service not).
        for name in Self.filesHiddenFromTheService(settings).reversed() {
            errors.insert(
                ConfigurationError(
                    name,
                    "names a file under \(Self.sandboxedDirectory), which the unit hides from the service (InaccessiblePaths=); give the secret with LoadCredential= (/etc/hh-auth/credentials) instead"
                ), at: 0)
        }
        // A ConfigurationError names the setting and what it must be, never its value.
        if let first = errors.first {
            let more = errors.count > 1 ? " (and \(errors[1].description))" : ""
            return Outcome(
                finding: .fail(
                    Self.name, first.description + more,
                    "fix it where the service's settings live (the unit's EnvironmentFile, /etc/hh-auth/env; secrets in /etc/hh-auth/credentials) and run doctor again"
                ),
                configuration: configuration, listener: listener)
        }
        let warnings = parser.warnings() + ListenerSettings.warnings(parser)
        let detail =
            "parsed as `serve` reads them" + (warnings.isEmpty ? "" : "; warning: " + warnings.joined(separator: "; "))
        return Outcome(finding: .ok(Self.name, detail), configuration: configuration, listener: listener)
    }
}
