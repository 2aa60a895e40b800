/// A statement's parameters laid out as libpq's parallel arrays (types, values, lengths, formats),
/// the values packed in one buffer, each NUL-terminated for libpq's text reading.
struct ParameterArrays {
    let count: Int32
    let types: [UInt32]
    let lengths: [Int32]
    let formats: [Int32]
    /// Every value, each followed by a 0 byte; starts with a 0 so that it is never empty.
    private let bytes: [UInt8]
    /// Where each value starts in `bytes`; nil for NULL.
    private let offsets: [Int?]

    init(_ parameters: [PGParameter]) throws(PGError) {
        guard parameters.count <= Int(Int32.max) else { throw PGError(.other, "too many parameters") }
        var bytes: [UInt8] = [0]
        var offsets: [Int?] = []
        var lengths: [Int32] = []
        offsets.reserveCapacity(parameters.count)
        lengths.reserveCapacity(parameters.count)
        for parameter in parameters {
            guard let value = try parameter.encoded() else {
                offsets.append(nil)
                lengths.append(0)
                continue
            }
            guard value.count <= Int(Int32.max) else { throw PGError(.invalidValue, "a parameter is too long") }
            offsets.append(bytes.count)
            lengths.append(Int32(value.count))
            bytes += value
            bytes.append(0)
        }
        self.count = Int32(parameters.count)
        self.types = parameters.map(\.typeOID)
        self.formats = parameters.map(\.format)
        self.lengths = lengths
        self.bytes = bytes
        self.offsets = offsets
    }

    /// Calls `body` with the values' pointers, valid only during the call.
    func withValues<T, E: Error>(_ body: ([UnsafePointer<CChar>?]) throws(E) -> T) throws(E) -> T {
        let result: Result<T, E> = bytes.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!)
            let values = offsets.map { offset in offset.map { (base + $0).assumingMemoryBound(to: CChar.self) } }
            do throws(E) { return .success(try body(values)) } catch { return .failure(error) }
        }
        return try result.get()
    }
}
