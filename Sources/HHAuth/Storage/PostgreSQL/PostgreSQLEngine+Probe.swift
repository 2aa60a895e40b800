import PostgreSQL

extension PostgreSQLEngine {
    /// Whether the server answers `SELECT 1` on the calling thread's connection (what `/health`
    /// reports, through ``ReadabilityProbe``): no connection of its own, so polls never add
    /// connections. A connection found broken is reconnected and asked once more; a failure is
    /// counted as any other.
    func answers() -> Bool {
        do {
            do {
                return try Self.selectOne(on: try connections.connection())
            } catch let error as PGError where error.kind == .connectionLost {
                return try Self.selectOne(on: try connections.reconnected())
            }
        } catch let error as PGError {
            _ = failure(error)
            return false
        } catch {
            return false
        }
    }

    private static func selectOne(on connection: PGConnection) throws -> Bool {
        try connection.execute("SELECT 1").first?.int64(0) == 1
    }
}
