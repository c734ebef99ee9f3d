import Foundation
import Testing

@testable import OrderedJSON

@Suite("OrderedJSON")
struct JSONValueEncoderTests {
    struct Record: Codable, Equatable {
        struct Inner: Codable, Equatable {
            var zulu: Int
            var alpha: [Double]
        }

        var zeta: String
        var alpha: Int?
        var middle: Inner
        var list: [Inner]
        var flag: Bool
        var note: String?

        enum CodingKeys: String, CodingKey {
            case zeta, alpha = "alpha_key", middle, list, flag, note
        }
    }

    let record = Record(
        zeta: "z", alpha: nil, middle: .init(zulu: 1, alpha: [0.5, 2]), list: [.init(zulu: 2, alpha: [])], flag: true,
        note: "line\u{2028}break")

    @Test("keys come out in CodingKeys order, nil optionals as null, nested values indented")
    func orderAndNulls() throws {
        let text = try JSONValue(encoding: record).serialized()
        #expect(
            text == """
                {
                  "zeta": "z",
                  "alpha_key": null,
                  "middle": {
                    "zulu": 1,
                    "alpha": [
                      0.5,
                      2.0
                    ]
                  },
                  "list": [
                    {
                      "zulu": 2,
                      "alpha": []
                    }
                  ],
                  "flag": true,
                  "note": "line\\u2028break"
                }

                """)
    }

    @Test("what it writes decodes back to the same value with Foundation's decoder")
    func roundTrip() throws {
        let text = try JSONValue(encoding: record).serialized()
        #expect(try JSONDecoder().decode(Record.self, from: Data(text.utf8)) == record)
    }

    @Test("strings escape quotes, backslashes, control characters, DEL and U+2028/2029")
    func escaping() {
        let value = JSONValue.string("a\"b\\c\nd\u{1}e\u{7F}f\u{2029}g é")
        #expect(value.serialized() == #""a\"b\\c\nd\u0001e\u007ff\u2029g é""# + "\n")
    }

    @Test("non-finite doubles are null; dictionaries and single values encode")
    func edges() throws {
        #expect(JSONValue.double(.nan).serialized() == "null\n")
        #expect(try JSONValue(encoding: ["k": 1]).serialized() == "{\n  \"k\": 1\n}\n")
        #expect(try JSONValue(encoding: UInt64.max).serialized() == "1.8446744073709552e+19\n")
        #expect(try JSONValue(encoding: [Int?.none, 3]).serialized() == "[\n  null,\n  3\n]\n")
    }
}
