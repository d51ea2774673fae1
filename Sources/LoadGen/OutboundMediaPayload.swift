import Bridge

extension JSONTape {
    /// The `media.payload` token of a message voiced sent (parsed into this tape), or nil when the
    /// message is not `media`. Used by clients playing the provider.
    public func outboundMediaPayload() -> Int? {
        var payload: Int?
        try? forEachMember(of: 0) { key, value throws(ProviderProtocolError) in
            guard equals(key, "media") else { return }
            try forEachMember(of: value) { k, v throws(ProviderProtocolError) in if equals(k, "payload") { payload = v } }
        }
        return payload
    }
}
