internal import CLibPQ
import WorkerThreads

extension PGConnection {
    /// Runs one statement with `parameters` as `$1…$n` (never spliced into the SQL) and returns
    /// its rows, in text format.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [PGParameter] = []) throws(PGError) -> PGResult {
        try lock.withLock { () throws(PGError) in
            let handle = try openHandle()
            let arrays = try ParameterArrays(parameters)
            let result = try arrays.withValues { values throws(PGError) in
                try exchange(
                    handle,
                    {
                        PQexecParams(
                            handle, sql, arrays.count, arrays.types, values, arrays.lengths, arrays.formats, 0)
                    },
                    sending: {
                        PQsendQueryParams(
                            handle, sql, arrays.count, arrays.types, values, arrays.lengths, arrays.formats, 0)
                    })
            }
            return try check(result, on: handle)
        }
    }

    /// Runs several statements separated by semicolons, without parameters (the simple query
    /// protocol: schema scripts, migrations); returns the last statement's result. Outside a
    /// transaction the statements run as one implicit transaction.
    @discardableResult
    public func executeScript(_ sql: String) throws(PGError) -> PGResult {
        try lock.withLock { () throws(PGError) in
            let handle = try openHandle()
            let result = try exchange(handle, { PQexec(handle, sql) }, sending: { PQsendQuery(handle, sql) })
            return try check(result, on: handle)
        }
    }

    /// Prepares `sql` on the server as `name`, for ``executePrepared(_:_:)``; the server plans it
    /// once per session. The connection remembers it: preparing the same name and SQL again does
    /// nothing, and after ``reset()`` the statement is prepared again on its next use. Parameter
    /// types come from where the parameters stand. A name already used for other SQL throws.
    public func prepare(_ name: String, _ sql: String) throws(PGError) {
        try lock.withLock { () throws(PGError) in
            let handle = try openHandle()
            if let known = statements[name] {
                guard known == sql else {
                    throw PGError(.other, "the statement name \(name) is already prepared for other SQL")
                }
                if preparedInSession.contains(name) { return }
            }
            try prepareOnServer(name, sql, on: handle)
            statements[name] = sql
        }
    }

    /// Runs the statement prepared as `name` with `parameters` as `$1…$n`.
    @discardableResult
    public func executePrepared(_ name: String, _ parameters: [PGParameter] = []) throws(PGError) -> PGResult {
        try lock.withLock { () throws(PGError) in
            let handle = try openHandle()
            guard let sql = statements[name] else {
                throw PGError(.other, "no statement was prepared as \(name) on this connection")
            }
            if !preparedInSession.contains(name) { try prepareOnServer(name, sql, on: handle) }
            let arrays = try ParameterArrays(parameters)
            let result = try arrays.withValues { values throws(PGError) in
                try exchange(
                    handle, { PQexecPrepared(handle, name, arrays.count, values, arrays.lengths, arrays.formats, 0) },
                    sending: {
                        PQsendQueryPrepared(handle, name, arrays.count, values, arrays.lengths, arrays.formats, 0)
                    })
            }
            return try check(result, on: handle)
        }
    }

    private func prepareOnServer(_ name: String, _ sql: String, on handle: OpaquePointer) throws(PGError) {
        let result = try exchange(
            handle, { PQprepare(handle, name, sql, 0, nil) }, sending: { PQsendPrepare(handle, name, sql, 0, nil) })
        _ = try check(result, on: handle)
        preparedInSession.insert(name)
    }

    /// `result` as a ``PGResult``, or the error it (or the connection) reports. Takes ownership.
    func check(_ result: OpaquePointer?, on handle: OpaquePointer) throws(PGError) -> PGResult {
        guard let result else { throw failure(nil, on: handle) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return PGResult(result)
        case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
            PQclear(result)
            abandonCopy(on: handle)
            throw PGError(.other, "COPY is not supported by this client")
        default:
            let error = failure(result, on: handle)
            PQclear(result)
            throw error
        }
    }

    /// The error for a failed statement: ``PGError/Kind/connectionLost`` when the connection broke,
    /// else by SQLSTATE. Remembered when it aborts the open transaction.
    private func failure(_ result: OpaquePointer?, on handle: OpaquePointer) -> PGError {
        func field(_ code: Character) -> String? {
            guard let result, let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: value)
        }
        let sqlState = field("C")
        let constraint = field("n")
        let error: PGError
        if PQstatus(handle) != CONNECTION_OK {
            let message = field("M").map { Self.scrub($0, of: password) }
            error = PGError(
                .connectionLost, message ?? Self.firstLine(PQerrorMessage(handle), scrubbing: password),
                sqlState: sqlState)
        } else if let sqlState {
            let kind = PGError.Kind(sqlState: sqlState)
            // Data exceptions quote the value they refused, which may be a secret.
            let message =
                kind == .invalidValue
                ? "a value does not fit its type or range"
                : Self.scrub(field("M") ?? "no message", of: password)
            error = PGError(kind, message, sqlState: sqlState, constraint: constraint)
        } else {
            let text = result.flatMap { PQresultErrorMessage($0) } ?? PQerrorMessage(handle)
            error = PGError(.other, Self.firstLine(text, scrubbing: password))
        }
        if transactionFailure == nil, PQtransactionStatus(handle) == PQTRANS_INERROR { transactionFailure = error }
        return error
    }

    /// Ends a COPY the caller started by mistake, leaving the connection ready for the next call.
    private func abandonCopy(on handle: OpaquePointer) {
        var buffer: UnsafeMutablePointer<CChar>?
        while PQgetCopyData(handle, &buffer, 0) > 0 {
            PQfreemem(buffer)
            buffer = nil
        }
        _ = PQputCopyEnd(handle, "COPY is not supported by this client")
        while let result = PQgetResult(handle) { PQclear(result) }
    }
}
