import Testing

@testable import FastCGI

@Suite("PeerPolicy")
struct PeerPolicyTests {
    private func peer(_ text: String) -> PeerAddress? { PeerAddress(parsing: text) }

    @Test func byDefaultOnlyLoopbackPeersAreAllowed() {
        for allowed in ["127.0.0.1", "127.0.0.2", "127.255.1.9", "::1", "::ffff:127.0.0.1"] {
            #expect(PeerPolicy.loopback.allows(peer(allowed)), "\(allowed)")
        }
        for refused in ["10.0.0.1", "192.168.1.20", "0.0.0.0", "128.0.0.1", "::ffff:10.0.0.1", "2001:db8::1", "::"] {
            #expect(!PeerPolicy.loopback.allows(peer(refused)), "\(refused)")
        }
    }

    @Test func unixSocketPeersHaveNoAddressAndAreAllowed() {
        #expect(PeerPolicy.loopback.allows(nil))
        #expect(PeerPolicy(webServerAddresses: "10.0.0.5")!.allows(nil))
    }

    @Test func webServerAddrsAllowsExactlyTheListedAddresses() throws {
        let policy = try #require(PeerPolicy(webServerAddresses: " 10.0.0.5, 127.0.0.2 ,2001:db8::7"))
        #expect(policy.allows(peer("10.0.0.5")))
        #expect(policy.allows(peer("::ffff:10.0.0.5")), "an IPv4 peer on an IPv6 socket")
        #expect(policy.allows(peer("127.0.0.2")))
        #expect(policy.allows(peer("2001:db8::7")))
        #expect(!policy.allows(peer("127.0.0.1")), "the list replaces the loopback default, as in libfcgi")
        #expect(!policy.allows(peer("10.0.0.6")))
    }

    @Test func malformedListsAreRejected() {
        for text in ["", " , ", "10.0.0", "nginx", "10.0.0.1, nginx", "10.0.0.1 10.0.0.2", "10.0.0.0/8", "::1%lo"] {
            #expect(PeerPolicy(webServerAddresses: text) == nil, "\(text)")
        }
    }

    @Test func addressesPrintAsWritten() {
        #expect(peer("10.1.2.3")?.description == "10.1.2.3")
        #expect(peer("::ffff:10.1.2.3")?.description == "10.1.2.3")
        #expect(peer("2001:db8::7")?.description == "2001:db8::7")
    }
}
