import HTTPCore

/// The lines of an audit export (``AuditExport/Format``), buffered and written in 64 KiB chunks:
/// every storage engine streams its rows through one of these, so an export is the same bytes
/// whichever engine holds the trail.
struct AuditExportWriter {
    private let format: AuditExport.Format
    private let write: ([UInt8]) throws -> Void
    private var buffer: [UInt8] = []
    private var timestamps = TimestampCache()
    /// Events appended so far.
    private(set) var count = 0

    /// Runs `body` with a writer for `format` that writes through `write`, then writes what is
    /// still buffered; returns how many events were exported.
    static func export(
        format: AuditExport.Format, write: ([UInt8]) throws -> Void, _ body: (inout AuditExportWriter) throws -> Void
    ) throws -> Int {
        try withoutActuallyEscaping(write) { write in
            var writer = AuditExportWriter(format: format, write: write)
            try body(&writer)
            return try writer.finish()
        }
    }

    /// CSV begins with its header line.
    private init(format: AuditExport.Format, write: @escaping ([UInt8]) throws -> Void) {
        self.format = format
        self.write = write
        buffer.reserveCapacity(1 << 17)
        if format == .csv { buffer += Array("id,event_type,user_id,created_at,event_metadata\n".utf8) }
    }

    /// One event; `metadata` is the stored canonical JSON, copied through as it is.
    mutating func append(id: Int64, type: String, userID: Int64?, metadata: String, createdAt: Double) throws {
        let created = timestamps.string(for: createdAt)
        switch format {
        case .jsonl:
            buffer += Array("{\"id\":\(id),\"event_type\":".utf8)
            JSONText.appendString(type, to: &buffer)
            buffer += Array(
                ",\"user_id\":\(userID.map(String.init) ?? "null"),\"event_metadata\":\(metadata),\"created_at\":\"\(created)\"}\n"
                    .utf8)
        case .csv:
            buffer += Array("\(id),".utf8)
            CSVText.appendField(type, to: &buffer)
            buffer += Array(",\(userID.map(String.init) ?? ""),\(created),".utf8)
            CSVText.appendField(metadata, to: &buffer)
            buffer.append(10)
        }
        count += 1
        if buffer.count >= 1 << 16 {
            try write(buffer)
            buffer.removeAll(keepingCapacity: true)
        }
    }

    private mutating func finish() throws -> Int {
        if !buffer.isEmpty { try write(buffer) }
        buffer.removeAll()
        return count
    }
}
