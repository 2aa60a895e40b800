import ArgumentParser
import Foundation
import HHAuth
import Logging

/// Start-up failures end the process with one line on stderr: exit 2 for a bad setting, 1 otherwise.
enum StartupFailure {
    static func exit(_ line: String, code: Int32 = 2) -> ExitCode {
        FileHandle.standardError.write(Data("hh-auth: \(line)\n".utf8))
        return ExitCode(code)
    }

    static func exitOnError<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ConfigurationError {
            throw exit(error.description, code: 2)
        } catch {
            throw exit(String(describing: error), code: 1)
        }
    }
}

/// Log lines go to stderr (the journal under systemd), as text or JSON (`LOG_FORMAT`).
enum LogSetup {
    static func bootstrap(level: Logger.Level, format: LogFormat) {
        LoggingSystem.bootstrap { label in StderrLogHandler(label: label, level: level, format: format) }
    }
}
