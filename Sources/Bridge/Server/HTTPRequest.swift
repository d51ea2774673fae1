import Foundation
import NIOCore
import NIOHTTP1

/// One HTTP request as the control plane and the providers' gateways see it: head, body, and the
/// peer's address.
///
/// - Threading: a value; made on the connection's event loop.
struct HTTPRequest {
    var method: HTTPMethod
    /// As requested: path and query.
    var uri: String
    var headers: HTTPHeaders
    var body: [UInt8] = []
    var remoteAddress: SocketAddress?

    /// The path without the query.
    var path: String { String(uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "") }

    /// The query's parameters, decoded, in order.
    var query: [(String, String)] {
        guard let range = uri.firstIndex(of: "?") else { return [] }
        return Self.formPairs(String(uri[uri.index(after: range)...]))
    }

    /// The body's parameters when it is `application/x-www-form-urlencoded`, decoded, in order.
    var form: [(String, String)] {
        guard headers.first(name: "content-type")?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true else { return [] }
        return Self.formPairs(String(decoding: body, as: UTF8.self))
    }

    /// The value of parameter `name` in the query or the form.
    func parameter(_ name: String) -> String? {
        (query + form).first { $0.0 == name }?.1
    }

    /// What an answer webhook passes on to the call it connects: the webhook URL's own query
    /// (routing the operator set in the provider's console, `?agent=sales`), then the caller
    /// (`From`) and callee (`To`) as `from` and `to`.
    var routing: [(String, String)] {
        var pairs = query
        if let from = parameter("From") { pairs.append(("from", from)) }
        if let to = parameter("To") { pairs.append(("to", to)) }
        return pairs
    }

    /// `a=1&b=2` → pairs, `+` as space and percent-escapes decoded.
    static func formPairs(_ text: String) -> [(String, String)] {
        text.split(separator: "&").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s) }
            guard let name = parts.first, !name.isEmpty else { return nil }
            return (decode(name), parts.count > 1 ? decode(parts[1]) : "")
        }
    }
}

/// What the server answers an HTTP request with.
struct HTTPReply {
    var status: Int
    var contentType: String
    var body: String
    /// Headers besides Content-Type and Content-Length.
    var headers: [(String, String)] = []

    static func text(_ status: Int, _ body: String) -> HTTPReply { HTTPReply(status: status, contentType: "text/plain", body: body) }
    static func xml(_ body: String) -> HTTPReply { HTTPReply(status: 200, contentType: "application/xml", body: body) }
    static func json(_ body: String) -> HTTPReply { HTTPReply(status: 200, contentType: "application/json", body: body) }
    static let noContent = HTTPReply(status: 204, contentType: "text/plain", body: "")
    static let forbidden = HTTPReply.text(403, "forbidden: the request is not signed by this server's provider account\n")
    /// A media upgrade turned away by ``CallAdmission`` (at `--max-calls`, or draining): the
    /// provider may retry here later or elsewhere now.
    static func unavailable(_ refusal: CallAdmission.Refusal) -> HTTPReply {
        let why = switch refusal {
        case .draining: "this server is draining: it takes no new calls"
        case .atMaxCalls: "this server is at its maximum number of calls"
        }
        var reply = HTTPReply.text(503, "service unavailable: \(why)\n")
        reply.headers = [("Retry-After", "1")]
        return reply
    }
}

/// Text made safe inside XML attributes and elements.
enum XMLText {
    /// TwiML/TeXML `<Parameter name="…" value="…"/>` children for `pairs`.
    static func parameters(_ pairs: [(String, String)]) -> String {
        pairs.map { #"<Parameter name="\#(escape($0.0))" value="\#(escape($0.1))"/>"# }.joined()
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(character)
            }
        }
        return out
    }
}
