import Testing

@testable import HTTPCore

@Suite("QueryParameters")
struct QueryParametersTests {
    @Test func plusIsASpaceAndEscapesAreDecoded() {
        let query = QueryParameters(parsing: "a=1+2&b=%41%42%2B&c=%D0%B8%D0%BC%D1%8F")
        #expect(query["a"] == "1 2")
        #expect(query["b"] == "AB+")
        #expect(query["c"] == "имя")
    }

    @Test func invalidEscapesAreKeptLiterally() {
        let query = QueryParameters(parsing: "a=%ZZ&b=%4&c=%&d=100%25&e=%g1")
        #expect(query["a"] == "%ZZ")
        #expect(query["b"] == "%4")
        #expect(query["c"] == "%")
        #expect(query["d"] == "100%")
        #expect(query["e"] == "%g1")
    }

    @Test func malformedUTF8BecomesReplacementCharacter() {
        #expect(QueryParameters(parsing: "a=%FF")["a"] == "\u{FFFD}")
    }

    @Test func pairsKeepOrderAndFirstValueWins() {
        let query = QueryParameters(parsing: "x=1&flag&x=2&&=empty-name&y=")
        #expect(query["x"] == "1")
        #expect(query["flag"] == "")
        #expect(query["y"] == "")
        #expect(query[""] == "empty-name")
        #expect(query["missing"] == nil)
        #expect(query.pairs.map(\.name) == ["x", "flag", "x", "", "y"])
    }

    @Test func hostileNumberOfPairsIsCapped() {
        let text = (0..<10_000).map { "p\($0)=v" }.joined(separator: "&")
        let query = QueryParameters(parsing: Substring(text))
        #expect(query.pairs.count == 256)
        #expect(query["p0"] == "v")
        #expect(query["p255"] == "v")
        #expect(query["p256"] == nil)
        #expect(QueryParameters(parsing: Substring(text), limit: 5).pairs.count == 5)
    }

    @Test func encodeKeepsUnreservedAndEscapesTheRest() {
        #expect(QueryParameters.encode("aZ09-._~") == "aZ09-._~")
        #expect(QueryParameters.encode("a b+c&d=e/f?") == "a%20b%2Bc%26d%3De%2Ff%3F")
        #expect(QueryParameters.encode("Я") == "%D0%AF")
    }

    @Test func encodeDecodeRoundTripWithCyrillic() {
        let pairs = [
            ("имя", "Иван Сергеевич Петров"), ("redirect_uri", "https://app.example.com/cb?x=1&y=2"),
            ("emoji", "🎉 + % & ="), ("empty", ""),
        ]
        let text = QueryParameters.encode(pairs)
        let parsed = QueryParameters(parsing: Substring(text))
        #expect(parsed == QueryParameters(pairs.map { (name: $0.0, value: $0.1) }))
        #expect(!text.contains(" "))
    }

    @Test func decodeWithoutPlusAsSpace() {
        #expect(QueryParameters.decode("a+b%20c", plusIsSpace: false) == "a+b c")
        #expect(QueryParameters.decode("a+b%20c") == "a b c")
    }
}
