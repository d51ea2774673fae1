import Crypto
import Foundation

/// Whether `a` and `b` are equal, in time that does not depend on where they differ (their
/// SHA-256 digests compared by swift-crypto, which compares in constant time).
func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    SHA256.hash(data: Data(a.utf8)) == SHA256.hash(data: Data(b.utf8))
}
