import HTTPCore

extension Gateway {
    /// Every route the gateway serves, in the router's order: what `hh-auth routes` prints without
    /// opening a database or reading any setting, for operators, the end-to-end tests and the router
    /// fuzzer. The gateway checks it against its router's own ``Router/table`` whenever it starts
    /// (``requireRouteTable(_:)``), so it cannot drift from the handlers' registrations.
    public static let routeTable: [RouteDescription] = [
        RouteDescription(method: "GET", pattern: "/health", effects: .readOnly),
        RouteDescription(method: "GET", pattern: "/metrics", effects: .readOnly),
        RouteDescription(method: "GET", pattern: "/auth/login", effects: .readOnly),
        RouteDescription(method: "GET", pattern: "/auth/callback", effects: .sideEffects),
        RouteDescription(method: "POST", pattern: "/auth/exchange", effects: .sideEffects),
        RouteDescription(method: "POST", pattern: "/auth/token", effects: .sideEffects),
        RouteDescription(method: "POST", pattern: "/auth/refresh", effects: .sideEffects),
        RouteDescription(method: "POST", pattern: "/auth/logout", effects: .sideEffects),
        RouteDescription(method: "GET", pattern: "/users/me", effects: .readOnly),
        session("GET", "/auth/verify", .sideEffects),
        session("GET", "/auth/verify/{group}", .sideEffects),
        session("GET", "/auth/sessions", .sideEffects),
        session("DELETE", "/auth/sessions", .sideEffects),
        session("DELETE", "/auth/sessions/{handle}", .sideEffects),
        RouteDescription(method: "GET", pattern: "/auth/account", effects: .sideEffects),
        RouteDescription(method: "GET", pattern: "/auth/sign_out", effects: .sideEffects),
        RouteDescription(method: "POST", pattern: "/auth/sign_out", effects: .sideEffects),
        admin("POST", "/admin/users/allow", .sideEffects),
        admin("GET", "/admin/users", .readOnly),
        admin("DELETE", "/admin/users/{hh_user_id}", .sideEffects),
        admin("GET", "/admin/sessions", .readOnly),
        admin("DELETE", "/admin/sessions/{id}", .sideEffects),
        admin("GET", "/admin/audit-log", .readOnly),
    ]

    private static func session(_ method: String, _ pattern: String, _ effects: Router.Effects) -> RouteDescription {
        RouteDescription(
            method: method, pattern: pattern, effects: effects, authentication: SessionCallerAuthentication.scheme)
    }

    private static func admin(_ method: String, _ pattern: String, _ effects: Router.Effects) -> RouteDescription {
        RouteDescription(method: method, pattern: pattern, effects: effects, authentication: AdminHandlers.scheme)
    }

    /// Stops the process when the handlers registered other routes than ``routeTable`` says: a
    /// programming error that every test building a gateway would hit first.
    static func requireRouteTable(_ router: Router) {
        let registered = router.table
        guard registered != routeTable else { return }
        let missing = registered.filter { !routeTable.contains($0) }.map(\.description)
        let stale = routeTable.filter { !registered.contains($0) }.map(\.description)
        fatalError(
            "Gateway.routeTable (Sources/HHAuth/Gateway+RouteTable.swift) differs from the registered routes: "
                + "missing \(missing), not registered \(stale)"
                + (missing.isEmpty && stale.isEmpty ? ", or in another order" : ""))
    }
}
