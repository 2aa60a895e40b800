import HTTPCore

extension HTTPRequest {
    /// What the domain is told about the client behind this request.
    var origin: ClientOrigin {
        ClientOrigin(clientAddress: clientAddress, userAgent: userAgent, requestID: requestID)
    }
}
