import Testing

@testable import HHAuth

@Suite("Hand-rolled formatting on the request path")
struct TextFormattingTests {
    @Test func millisecondsHaveTwoDecimals() {
        #expect(Application.milliseconds(1_234_567) == "1.23")
        #expect(Application.milliseconds(5_000) == "0.00")
        #expect(Application.milliseconds(10_050_000) == "10.05")
        #expect(Application.milliseconds(999_999_999) == "999.99")
    }

    @Test func hexIsLowercaseAndTwoDigitsPerByte() {
        #expect(Hex.encode([0x0F, 0xA0, 0x00, 0xFF]) == "0fa000ff")
        #expect(Hex.encode([UInt8]()) == "")
    }
}
