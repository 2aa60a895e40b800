import Testing

/// One rule of the contract as a test body, run by each harness against a fresh deployment of its
/// own (`@Test(arguments: ContractScenario.all)`), so the rule is written once and checked both in
/// process and through nginx.
public struct ContractScenario: Sendable, CustomTestStringConvertible {
    public let name: String
    private let body: @Sendable (any ContractClient) throws -> Void

    public init(_ name: String, _ body: @escaping @Sendable (any ContractClient) throws -> Void) {
        self.name = name
        self.body = body
    }

    public func run(against client: any ContractClient) throws { try body(client) }

    public var testDescription: String { name }

    /// Every shared scenario, in the order of the files that hold them.
    public static let all: [ContractScenario] = serviceScenarios + loginScenarios + sessionScenarios + adminScenarios
}
