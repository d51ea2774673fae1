@testable import Bridge
import Crypto
import Foundation
import Testing

/// Request signatures against the vectors in shared/protocols.md §1.5 and the providers' own SDK
/// tests, and their negative cases: wrong secret, tampered parameter, another URL, stale timestamp.
@Suite struct ProviderSignatureTests {
    static let twilioURL = "https://mycompany.com/myapp.php?foo=1&bar=2"
    static let twilioParams = [("CallSid", "CA1234567890ABCDE"), ("Caller", "+14158675309"), ("Digits", "1234"),
                               ("From", "+14158675309"), ("To", "+18005551212")]

    @Test func twilioVectors() {
        #expect(TwilioSignature.signedString(Self.twilioURL, Self.twilioParams)
            == "https://mycompany.com/myapp.php?foo=1&bar=2CallSidCA1234567890ABCDECaller+14158675309Digits1234From+14158675309To+18005551212")
        #expect(TwilioSignature.compute(url: Self.twilioURL, parameters: Self.twilioParams, token: "12345") == "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
        #expect(TwilioSignature.isValid("RSOYDt4T1cUTdK1PDd93/VVr8B8=", url: Self.twilioURL, parameters: Self.twilioParams, token: "12345"))
        // Port variants: signed with :443, requested without, and the other way round.
        #expect(TwilioSignature.isValid("kvajT1Ptam85bY51eRf/AJRuM3w=", url: Self.twilioURL, parameters: Self.twilioParams, token: "12345"))
        #expect(TwilioSignature.isValid("RSOYDt4T1cUTdK1PDd93/VVr8B8=", url: "https://mycompany.com:443/myapp.php?foo=1&bar=2",
                                        parameters: Self.twilioParams, token: "12345"))
        #expect(TwilioSignature.isValid("0ZXoZLH/DfblKGATFgpif+LLRf4=", url: "http://mycompany.com/myapp.php?foo=1&bar=2",
                                        parameters: Self.twilioParams, token: "12345"))
        // Duplicate parameters: distinct values, sorted.
        #expect(TwilioSignature.isValid("IK+Dwps556ElfBT0I3Rgjkr1wJU=", url: Self.twilioURL,
                                        parameters: [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234"), ("Digits", "1234")],
                                        token: "12345"))
        // A JSON body: covered by bodySHA256, no parameters appended.
        let body = Array(#"{"property": "value", "boolean": true}"#.utf8)
        let jsonURL = Self.twilioURL + "&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
        #expect(TwilioSignature.isValid("a9nBmqA0ju/hNViExpshrM61xv4=", url: jsonURL, parameters: [], jsonBody: body, token: "12345"))
        #expect(!TwilioSignature.isValid("a9nBmqA0ju/hNViExpshrM61xv4=", url: jsonURL, parameters: [],
                                         jsonBody: Array(#"{"property": "value", "boolean": false}"#.utf8), token: "12345"))
        // The media upgrade: the wss:// URL (protocols.md §1.5).
        #expect(TwilioSignature.compute(url: "wss://voiced.example.com/twilio/media", parameters: [], token: "12345") == "Ysy+ph5p+f7Kci3o3lDfRwc/s7c=")
    }

    @Test func twilioRefusals() {
        #expect(!TwilioSignature.isValid("RSOYDt4T1cUTdK1PDd93/VVr8B8=", url: Self.twilioURL, parameters: Self.twilioParams, token: "54321"),
                "wrong secret")
        var tampered = Self.twilioParams
        tampered[2] = ("Digits", "9999")
        #expect(!TwilioSignature.isValid("RSOYDt4T1cUTdK1PDd93/VVr8B8=", url: Self.twilioURL, parameters: tampered, token: "12345"),
                "tampered parameter")
        #expect(!TwilioSignature.isValid("RSOYDt4T1cUTdK1PDd93/VVr8B8=", url: "https://evil.example.com/myapp.php?foo=1&bar=2",
                                         parameters: Self.twilioParams, token: "12345"), "replayed to another URL")
        #expect(!TwilioSignature.isValid("not base64!", url: Self.twilioURL, parameters: Self.twilioParams, token: "12345"))
        #expect(!TwilioSignature.isValid("RSOYDt4T1cUTdK1PDd93/VVr8B8=", url: Self.twilioURL, parameters: Self.twilioParams, token: ""))
    }

    /// plivo-go `utils_test.go` (the same algorithm as plivo-python's `signature_v3.py`).
    @Test func plivoVectors() {
        let token = "Y2Q2ZDgxZmY5YWRiOTI5YmQ1Njg0MTAxZWIyOTc4", nonce = "31627761595286130198"
        let params = [("Direction", "outbound"), ("From", "19792014278"), ("ALegUUID", "3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36"),
                      ("CallStatus", "in-progress"), ("BillRate", "0.002"), ("ParentAuthID", "MANWVLYTK4ZWU1YTY4QA"),
                      ("To", "sip:PlivoSignature382029104058171078704104@phone-qa.voice.plivodev.com"),
                      ("ALegRequestUUID", "3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36"), ("CallUUID", "3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36"),
                      ("RequestUUID", "3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36"),
                      ("SIP-H-To", "<sip:PlivoSignature382029104058171078704104@52.9.11.55;transport=udp>;tag=1"),
                      ("SessionStart", "2020-04-08 11:34:33.238707"), ("Event", "StartApp")]
        let withQuery = "https://plivobin.non-prod.plivops.com/api/v1/validate_signature03.xml/?a=b&c=d"
        let plain = "https://plivobin.non-prod.plivops.com/api/v1/validate_signature03.xml"
        #expect(PlivoSignature.compute(method: "POST", url: withQuery, nonce: nonce, parameters: params, token: token) == "k7Pusd4OxCIjR5IfA9iedDNu/h/gbdYqdzG/MiYtd1c=")
        #expect(PlivoSignature.compute(method: "GET", url: withQuery, nonce: nonce, parameters: params, token: token) == "UBq8jAtd32wR8EK9VgxbBn4n5rpI/l1H9iN4WfSEHFQ=")
        #expect(PlivoSignature.compute(method: "POST", url: plain, nonce: nonce, parameters: params, token: token) == "iAjE5QqI37mbkYe4w3jTMudqEzbDufdqi7sYwTu64e0=")
        #expect(PlivoSignature.compute(method: "GET", url: plain, nonce: nonce, parameters: params, token: token) == "i/MQsaQSAd6fiKhOh2qeeeLHZ9faldADSb3/7+Akfbc=")
        #expect(PlivoSignature.isValid("xyz,iAjE5QqI37mbkYe4w3jTMudqEzbDufdqi7sYwTu64e0=", method: "POST", url: plain, nonce: nonce,
                                       parameters: params, token: token), "one of several comma-separated signatures")
        #expect(!PlivoSignature.isValid("iAjE5QqI37mbkYe4w3jTMudqEzbDufdqi7sYwTu64e0=", method: "POST", url: plain, nonce: "1",
                                        parameters: params, token: token), "another nonce")
        #expect(!PlivoSignature.isValid("iAjE5QqI37mbkYe4w3jTMudqEzbDufdqi7sYwTu64e0=", method: "POST", url: plain, nonce: nonce,
                                        parameters: params, token: "wrong"), "wrong secret")
        #expect(!PlivoSignature.isValid("iAjE5QqI37mbkYe4w3jTMudqEzbDufdqi7sYwTu64e0=", method: "POST", url: plain + "x", nonce: nonce,
                                        parameters: params, token: token), "another URL")
    }

    /// RFC 8032's first test key; the signature made with Python's `cryptography` (no Telnyx SDK
    /// test has fixed values: they make a key per run).
    @Test func telnyxVectors() throws {
        let key = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
        let signature = "MGVTDtGuYLW5kjFwnqNofgeDUyzsF7r4H1L6jz1lD6palyxYTP6fEPDmGoaV769eef2agFBoHmAp47aBRgOyAw=="
        let body = Array(#"{"data":{"event_type":"call.initiated"}}"#.utf8)
        let now = Date(timeIntervalSince1970: 1_700_000_100)
        #expect(TelnyxSignature.refusal(signature: signature, timestamp: "1700000000", body: body, publicKey: key, now: now) == nil)
        #expect(TelnyxSignature.refusal(signature: signature, timestamp: "1700000001", body: body, publicKey: key, now: now) != nil,
                "another timestamp")
        #expect(TelnyxSignature.refusal(signature: signature, timestamp: "1700000000", body: body + [0x20], publicKey: key, now: now) != nil,
                "tampered body")
        #expect(TelnyxSignature.refusal(signature: signature, timestamp: "1700000000", body: body, publicKey: key,
                                        now: Date(timeIntervalSince1970: 1_700_000_400)) != nil, "stale: a replay")
        let other = Curve25519.Signing.PrivateKey().publicKey.rawRepresentation.base64EncodedString()
        #expect(TelnyxSignature.refusal(signature: signature, timestamp: "1700000000", body: body, publicKey: other, now: now) != nil,
                "another account's key")
        #expect(TelnyxSignature.refusal(signature: nil, timestamp: "1700000000", body: body, publicKey: key, now: now) != nil)
    }

    /// vonage-python-sdk `jwt/tests/test_verify_jwt.py` for the HS256 check; Vonage-shaped tokens made
    /// here for the claims.
    @Test func vonageVectors() {
        let sdkToken = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJPbmxpbmUgSldUIEJ1aWxkZXIiLCJpYXQiOjE2OTc2MzQ2ODAsImV4cCI6MzMyNTQ1NDA4MjgsImF1ZCI6IiIsInN1YiI6IiJ9.88vJc3I2HhuqEDixHXVhc9R30tA6U_HQHZTC29y6CGM"
        #expect(JSONWebToken(sdkToken)?.isSignedHS256(secret: "qwertyuiopasdfghjklzxcvbnm123456") == true)
        #expect(JSONWebToken(sdkToken)?.isSignedHS256(secret: "asdf") == false)
        #expect(JSONWebToken("asdf") == nil)
        let issued = Date(timeIntervalSince1970: 1_697_634_680)
        #expect(VonageSignature.refusal(authorization: "Bearer " + sdkToken, body: [], secret: "qwertyuiopasdfghjklzxcvbnm123456",
                                        now: issued.addingTimeInterval(60)) == nil)
        #expect(VonageSignature.refusal(authorization: "Bearer " + sdkToken, body: [], secret: "qwertyuiopasdfghjklzxcvbnm123456",
                                        now: issued.addingTimeInterval(3600)) != nil, "issued an hour ago: a replay")
        let body = Array(#"{"status":"answered"}"#.utf8)
        let token = Self.vonageToken(secret: "s3cret", issued: issued, body: body)
        #expect(VonageSignature.refusal(authorization: "Bearer " + token, body: body, secret: "s3cret", now: issued) == nil)
        #expect(VonageSignature.refusal(authorization: "Bearer " + token, body: Array(#"{"status":"failed"}"#.utf8), secret: "s3cret",
                                        now: issued) != nil, "tampered body")
        #expect(VonageSignature.refusal(authorization: "Bearer " + token, body: body, secret: "other", now: issued) != nil, "wrong secret")
        #expect(VonageSignature.refusal(authorization: nil, body: body, secret: "s3cret", now: issued) != nil)
    }

    /// A token as Vonage signs one: HS256, `iat`, `jti`, `iss`, `payload_hash`.
    static func vonageToken(secret: String, issued: Date, body: [UInt8]) -> String {
        let header = JSONWebToken.base64URL(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let hash = SHA256.hash(data: body).map { String(format: "%02x", $0) }.joined()
        let claims = JSONWebToken.base64URL(Data(#"{"iat":\#(Int(issued.timeIntervalSince1970)),"jti":"a1","iss":"Vonage","payload_hash":"\#(hash)"}"#.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(header).\(claims)".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return "\(header).\(claims).\(JSONWebToken.base64URL(Data(mac)))"
    }
}

/// Azure Communication Services' request signing, against azure-sdk-for-python's
/// `azure-communication-identity/tests/test_hmac.py`.
@Suite struct ACSRequestSignerTests {
    @Test func sdkVectors() throws {
        let key = try #require(Data(base64Encoded: "pw=="))
        #expect(ACSRequestSigner.sign("banana", key: key) == "88EC05aAS9iXnaimtNO78JLjiPtfWryQB/5QYEzEsu8=")
        #expect(ACSRequestSigner.sign("😀", key: key) == "1rudJKjn2Zi+3hRrBG29wIF6pD6YyAeQR1ZcFtXoKAU=")
        var formatter = ISO8601DateFormatter()
        formatter = ISO8601DateFormatter()
        let date = try #require(formatter.date(from: "2022-04-13T18:09:12Z"))
        #expect(ACSRequestSigner.httpDate(date) == "Wed, 13 Apr 2022 18:09:12 GMT")
        for (path, signature) in [("/", "88MDmJhUR3m5QhFxb8ztShsSwlGrg7g/6XPnWf7QEO4="), ("/testPath", "RoCrHjw7fb9fpHSbqvRUY2xa8RBS0YvI1cxI1x8AS38="),
                                  ("/testPath?testQuery=yes", "il99+rd6V5O136roX/zVePCNle78HmvC4B7tu9zRH3I=")] {
            let url = try #require(URL(string: "https://contoso.communicationservices.azure.com" + path))
            let headers = ACSRequestSigner.headers(method: "GET", url: url, body: Data(), key: key, date: date)
            #expect(headers.first { $0.0 == "Authorization" }?.1 == "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=\(signature)", "\(path)")
            #expect(headers.first { $0.0 == "x-ms-content-sha256" }?.1 == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
        }
        let parsed = try #require(ACSConnectionString("endpoint=https://contoso.communication.azure.com/;accesskey=pw=="))
        #expect(parsed.endpoint == "https://contoso.communication.azure.com" && parsed.accessKey == key)
        #expect(ACSConnectionString("endpoint=contoso;accesskey=pw==") == nil)
    }
}
