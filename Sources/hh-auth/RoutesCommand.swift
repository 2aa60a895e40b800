import ArgumentParser
import HHAuth

/// `hh-auth routes`: the route table, one route a line (`GET /admin/users read-only basic-admin`:
/// method, pattern, effects, authentication scheme or `public`). Reads no setting and no database.
struct RoutesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routes",
        abstract: "Print every route: method, pattern, read-only or side-effects, authentication scheme or public.")

    func run() throws {
        for route in Gateway.routeTable { print(route.description) }
    }
}
