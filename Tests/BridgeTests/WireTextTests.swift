@testable import Bridge
import Logging
import Testing

@Suite struct WireTextTests {
    @Test func escapesWhatCouldForgeALogLine() {
        #expect(WireText("1\n2024-11-27 critical: forged").description == #"1\n2024-11-27 critical: forged"#)
        #expect(WireText("a\r\tb\\\u{1B}[31m\u{2028}é").description == #"a\r\tb\\\u{1b}[31m\u{2028}\u{e9}"#)
        #expect(WireText("plain CA123 text").description == "plain CA123 text")
    }

    @Test func capsLengthAndCountsTheRest() {
        let long = String(repeating: "x", count: 60_000)
        #expect(WireText(long, limit: 10).description == "xxxxxxxxxx…(+59990 bytes)")
        #expect(WireText("ééé", limit: 1).description == #"\u{e9}…(+4 bytes)"#)
    }

    @Test func capsParameterMaps() {
        var parameters: [String: String] = [:]
        for i in 0..<10 { parameters["k\(i)"] = String(repeating: "v", count: 1000) }
        guard case let .string(text) = Logger.MetadataValue.wire(parameters, maxPairs: 2) else { Issue.record(); return }
        #expect(text.hasPrefix("[k0: vvvv"))
        #expect(text.hasSuffix("…(+8 more)]"))
        #expect(text.count < 300)
    }
}
