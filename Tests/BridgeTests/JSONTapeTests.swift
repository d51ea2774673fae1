import Bridge
import Testing

@Suite struct JSONTapeTests {
    /// Parses `text` and hands the tape to `body` while the document it borrows is alive (a tape
    /// points into its document: AddressSanitizer caught a use after free when this returned it).
    func parse(_ text: String, tape: JSONTape = JSONTape(), _ body: (JSONTape) -> Void = { _ in }) throws {
        try Array(text.utf8).withUnsafeBytes { bytes in
            try tape.parse(bytes)
            body(tape)
        }
    }

    @Test func acceptsValidDocuments() throws {
        for text in [#"{}"#, #"[]"#, #" {"a" : [1, -2.5e3, true, false, null, "x\"y\u00e9"], "b": {"c": {}}} "#, "0", #""s""#] {
            #expect(throws: Never.self) { try parse(text) }
        }
    }

    @Test func rejectsMalformedDocuments() {
        let cases: [(String, JSONError)] = [
            (#"{"a":1"#, .unexpectedEnd),
            (#"{"a" 1}"#, .unexpectedByte(at: 5)),
            (#"{"a":1,}"#, .unexpectedByte(at: 7)),
            (#"{"a":tru}"#, .unexpectedByte(at: 5)),
            (#"{"a":"\q"}"#, .badEscape(at: 7)),
            (#"{} {}"#, .trailingBytes(at: 3)),
            (#"{"a":01x}"#, .unexpectedByte(at: 7)),
            ("{\"a\":\"\u{01}\"}", .unexpectedByte(at: 6)),
            ("", .unexpectedEnd),
            (#"{"a":1,"b":{"a":2},"a":3}"#, .duplicateKey(at: 19)),
        ]
        for (text, error) in cases {
            #expect(throws: error, "\(text)") { try parse(text) }
        }
    }

    /// Keys compare as written: an escaped twin is not a duplicate, and no lookup ever finds it.
    @Test func escapedKeysNeverStandInForPlainOnes() throws {
        try parse(#"{"event":"media","ev\u0065nt":"stop"}"#) { tape in
            #expect(tape.member("event", of: 0) == 2)
        }
    }

    @Test func enforcesLimits() {
        #expect(throws: JSONError.tooManyTokens(4)) { try parse("[1,2,3,4,5]", tape: JSONTape(maxTokens: 4)) }
        #expect(throws: JSONError.tooDeep(16)) { try parse(String(repeating: "[", count: 17) + String(repeating: "]", count: 17)) }
    }

    @Test func walksMembersAndDecodesValues() throws {
        let tape = JSONTape()
        let text = #"{"n":"0042","skip":{"deep":[1,{"x":2}]},"s":"a\nb\u00e9\ud83d\ude00","num":7,"neg":"-1"}"#
        let bytes = Array(text.utf8)
        try bytes.withUnsafeBytes { raw in
            try tape.parse(raw)
            var seen: [String] = []
            try? tape.forEachMember(of: 0) { key, value throws(ProviderProtocolError) in
                seen.append(tape.string(key)!)
                if tape.equals(key, "n") { #expect(tape.unsignedInteger(value) == 42) }
                if tape.equals(key, "s") { #expect(tape.string(value) == "a\nbé😀") }
                if tape.equals(key, "num") { #expect(tape.unsignedInteger(value) == 7) }
                if tape.equals(key, "neg") { #expect(tape.unsignedInteger(value) == nil) }
            }
            #expect(seen == ["n", "skip", "s", "num", "neg"])
        }
    }
}

@Suite struct Base64Tests {
    func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8](repeating: 0, count: Base64.encodedCount(bytes.count))
        _ = bytes.withUnsafeBytes { raw in out.withUnsafeMutableBytes { Base64.encode(raw, into: $0) } }
        return String(decoding: out, as: UTF8.self)
    }

    func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.withUnsafeBytes({ Base64.isValid($0) }) else { return nil }
        var out = [UInt8](repeating: 0, count: Base64.maxDecodedCount(chars.count))
        let n = chars.withUnsafeBytes { raw in out.withUnsafeMutableBytes { Base64.decode(raw, into: $0) } }
        return n.map { Array(out[0..<$0]) }
    }

    @Test func rfc4648Vectors() {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (plain, coded) in vectors {
            #expect(encode(Array(plain.utf8)) == coded)
            if !plain.isEmpty { #expect(decode(coded) == Array(plain.utf8)) }
        }
    }

    @Test func twentyMillisecondsOfSilence() {
        let silence = [UInt8](repeating: 0xFF, count: 160)
        #expect(encode(silence) == String(repeating: "/", count: 212) + "/w==")
        #expect(encode(silence).count == 216)
    }

    @Test func roundTripsEveryLength() {
        for n in 1..<300 {
            let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            #expect(decode(encode(bytes)) == bytes)
        }
    }

    @Test func rejectsInvalidText() {
        for text in ["", "Zg=", "Zg", "Z===", "Zm9v!A==", "Zm=v", "Zg==Zg==", "Zm9 v", "-_-_"] {
            #expect(decode(text) == nil, "\(text)")
        }
    }
}
