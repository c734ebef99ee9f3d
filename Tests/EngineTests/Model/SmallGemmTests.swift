import CKernels
import Testing

// MARK: - Helpers

extension SplitMix64 {
    fileprivate mutating func int(_ r: ClosedRange<Int>) -> Int { r.lowerBound + Int(next() % UInt64(r.count)) }
    fileprivate mutating func float() -> Float { Float(next() >> 40) / Float(1 << 24) * 2 - 1 }
}

/// Marks C elements the kernel must not write.
private let sentinel: Float = -777.25

/// One GEMM problem. C has `cRows` rows (≥ m) of `ldc` floats; everything outside the m×n block is `sentinel`.
private struct Problem {
    var transB: Bool, m: Int, n: Int, k: Int, lda: Int, ldb: Int, ldc: Int, accumulate: Bool
    var a: [Float], b: [Float], c0: [Float]
    var cRows: Int

    init(transB: Bool, m: Int, n: Int, k: Int, lda: Int, ldb: Int, ldc: Int, accumulate: Bool, rng: inout SplitMix64) {
        self.transB = transB
        self.m = m
        self.n = n
        self.k = k
        self.lda = lda
        self.ldb = ldb
        self.ldc = ldc
        self.accumulate = accumulate
        cRows = m + 1
        a = (0..<(max(m, 1) * lda)).map { _ in rng.float() }
        b = (0..<((transB ? n : k) * ldb)).map { _ in rng.float() }
        c0 = [Float](repeating: sentinel, count: cRows * ldc)
        for i in 0..<m {
            for j in 0..<n {
                // Without accumulate C must never be read: NaN would leak into the result.
                c0[i * ldc + j] = accumulate ? rng.float() : .nan
            }
        }
    }

    /// Runs a level (1, 2) or the dispatching entry point (nil). Returns (return value, C).
    func run(level: Int32?) -> (Int32, [Float]) {
        var c = c0
        let r = a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    if let level {
                        return iw_sgemm_small_level(
                            level, transB ? 1 : 0, m, n, k, pa.baseAddress, lda,
                            pb.baseAddress, ldb, pc.baseAddress, ldc, accumulate ? 1 : 0)
                    }
                    return iw_sgemm_small(
                        transB ? 1 : 0, m, n, k, pa.baseAddress, lda,
                        pb.baseAddress, ldb, pc.baseAddress, ldc, accumulate ? 1 : 0)
                }
            }
        }
        return (r, c)
    }

    /// Expected values of the m×n block (row-major, n per row): the defined result (one FMA chain
    /// over p ascending from old C or +0, Float.addingProduct is a fused multiply-add), and a
    /// double-precision reference with an error bound ∝ k · Σ|terms|.
    struct Expected {
        var chain: [Float]
        var ref: [Double]
        var tol: [Double]
    }

    func expected() -> Expected {
        var e = Expected(chain: [], ref: [], tol: [])
        e.chain.reserveCapacity(m * n)
        e.ref.reserveCapacity(m * n)
        e.tol.reserveCapacity(m * n)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                for i in 0..<m {
                    for j in 0..<n {
                        let old = c0[i * ldc + j]
                        var s: Float = accumulate ? old : 0
                        var d: Double = accumulate ? Double(old) : 0
                        var mag = abs(d)
                        for p in 0..<k {
                            let x = a[i * lda + p], y = transB ? b[j * ldb + p] : b[p * ldb + j]
                            s = s.addingProduct(x, y)
                            let t = Double(x) * Double(y)
                            d += t
                            mag += abs(t)
                        }
                        e.chain.append(s)
                        e.ref.append(d)
                        e.tol.append(2e-6 * Double(k + 1) * mag + 1e-30)
                    }
                }
            }
        }
        return e
    }

    /// Checks a result: bit-exact FMA chain, close to the double reference, nothing else written.
    func check(_ c: [Float], _ e: Expected, _ label: String) {
        var bad = 0
        for row in 0..<cRows {
            for col in 0..<ldc {
                let got = c[row * ldc + col]
                if row >= m || col >= n {
                    if got.bitPattern != sentinel.bitPattern { bad += 1 }
                    continue
                }
                let x = row * n + col
                if got.bitPattern != e.chain[x].bitPattern || !(abs(Double(got) - e.ref[x]) <= e.tol[x]) { bad += 1 }
            }
        }
        #expect(bad == 0, "\(label): \(bad) bad elements for \(self.shape)")
    }

    var shape: String { "transB=\(transB) m=\(m) n=\(n) k=\(k) lda=\(lda) ldb=\(ldb) ldc=\(ldc) acc=\(accumulate)" }
}

private let cpuLevel = iw_small_gemm_level()
private let levels: [Int32] = [2, 1].filter { $0 <= cpuLevel }

private func bits(_ x: [Float]) -> [UInt32] { x.map(\.bitPattern) }

// MARK: - Tests

/// The small-GEMM kernels (CKernels) against an FMA-chain reference and a Double reference.
@Suite("Small GEMM kernels")
struct SmallGemmTests {

    @Test func cpuHasAPath() {
        // The project machines have AVX-512F; on others at least report a valid level.
        #expect([0, 1, 2].contains(cpuLevel))
    }

    @Test func randomShapesMatchReferenceAndEachOther() {
        var rng = SplitMix64(seed: 1234)
        for _ in 0..<250 {
            let transB = rng.int(0...1) == 1
            let m = rng.int(0...70), n = rng.int(1...130), k = rng.int(1...300)
            let odd = rng.int(0...1) == 1  // leading dimensions larger than needed
            let lda = k + (odd ? rng.int(1...7) : 0)
            let ldb = (transB ? k : n) + (odd ? rng.int(1...7) : 0)
            let ldc = n + (odd ? rng.int(1...7) : 0)
            let p = Problem(
                transB: transB, m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc,
                accumulate: rng.int(0...1) == 1, rng: &rng)
            let e = p.expected()
            var results: [[Float]] = []
            for level in levels {
                let (r, c) = p.run(level: level)
                #expect(r == 1, "level \(level) refused \(p.shape)")
                p.check(c, e, "level \(level)")
                results.append(c)
            }
            let (r, c) = p.run(level: nil)
            #expect(r == (cpuLevel > 0 ? 1 : 0))
            if cpuLevel > 0 { p.check(c, e, "dispatch") }
            // AVX-512 and AVX2 must agree bit for bit.
            for c in results.dropFirst() { #expect(bits(c) == bits(results[0]), "levels differ for \(p.shape)") }
        }
    }

    @Test func biasAndReluEndsEqualFillAccumulateAndRelu() {
        // Starting the chains from a bias row and storing max(s, +0) must give exactly the bits of
        // the unfused layer: C filled with the bias, accumulated, then Relu (NaN and -0 become +0).
        var rng = SplitMix64(seed: 4242)
        let dispatch: Int32 = 0
        for _ in 0..<120 {
            let transB = rng.int(0...1) == 1
            let m = rng.int(1...80), n = rng.int(1...130), k = rng.int(1...70)
            var bias = (0..<n).map { _ in rng.float() }
            if n > 2 {
                bias[0] = -0.0
                bias[1] = .nan
            }
            var p = Problem(transB: transB, m: m, n: n, k: k, lda: k, ldb: transB ? k : n, ldc: n, accumulate: true, rng: &rng)
            for i in 0..<m { for j in 0..<n { p.c0[i * n + j] = bias[j] } }
            for level in levels + [dispatch] {
                for relu in [false, true] {
                    let (_, unfused) = p.run(level: level == dispatch ? nil : level)
                    let expected = unfused.map { relu ? ($0 > 0 ? $0 : 0) : $0 }
                    var fused = [Float](repeating: .nan, count: p.c0.count)
                    let r = p.a.withUnsafeBufferPointer { pa in
                        p.b.withUnsafeBufferPointer { pb in
                            bias.withUnsafeBufferPointer { pbias in
                                fused.withUnsafeMutableBufferPointer { pc in
                                    iw_sgemm_small_ends(
                                        level, transB ? 1 : 0, m, n, k, pa.baseAddress, k, pb.baseAddress, p.ldb,
                                        pc.baseAddress, n, iw_gemm_ends(accumulate: 0, bias: pbias.baseAddress, relu: relu ? 1 : 0))
                                }
                            }
                        }
                    }
                    #expect(r == (cpuLevel > 0 ? 1 : 0))
                    guard r == 1 else { continue }
                    #expect(
                        bits(Array(fused.prefix(m * n))) == bits(Array(expected.prefix(m * n))), "level \(level) relu \(relu): \(p.shape)")
                }
            }
        }
    }

    @Test func levelsAgreeOnEdgeWidths() {
        guard levels.count == 2 else { return }  // needs both AVX-512 and AVX2
        var rng = SplitMix64(seed: 99)
        for n in [1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 48, 63, 64, 65, 100, 128, 129] {
            for k in [1, 3, 10, 64, 100] {
                for transB in [false, true] {
                    let p = Problem(
                        transB: transB, m: 29, n: n, k: k, lda: k, ldb: transB ? k : n, ldc: n,
                        accumulate: n % 2 == 0, rng: &rng)
                    let (r2, c2) = p.run(level: 2)
                    let (r1, c1) = p.run(level: 1)
                    #expect(r2 == 1 && r1 == 1)
                    #expect(bits(c2) == bits(c1), "AVX-512 vs AVX2 differ for \(p.shape)")
                }
            }
        }
    }

    @Test func rowAloneEqualsRowInBatch() {
        var rng = SplitMix64(seed: 7)
        // m = 403 crosses the 192-row chunk and leaves row tails for every micro-tile height.
        let shapes = [(10, 64), (64, 32), (32, 1), (32, 64), (100, 100), (5, 3), (300, 17), (1, 130)]
        for (k, n) in shapes {
            for transB in [false, true] {
                for accumulate in [false, true] {
                    let m = 403
                    let p = Problem(
                        transB: transB, m: m, n: n, k: k, lda: k, ldb: transB ? k : n, ldc: n,
                        accumulate: accumulate, rng: &rng)
                    for level in levels {
                        let (r, batch) = p.run(level: level)
                        #expect(r == 1)
                        var alone = p.c0
                        var mismatches = 0
                        p.a.withUnsafeBufferPointer { pa in
                            p.b.withUnsafeBufferPointer { pb in
                                alone.withUnsafeMutableBufferPointer { pc in
                                    for i in 0..<m {
                                        let r1 = iw_sgemm_small_level(
                                            level, transB ? 1 : 0, 1, n, k,
                                            pa.baseAddress! + i * p.lda, p.lda, pb.baseAddress, p.ldb,
                                            pc.baseAddress! + i * p.ldc, p.ldc, accumulate ? 1 : 0)
                                        if r1 != 1 { mismatches += 1 }
                                    }
                                }
                            }
                        }
                        for i in 0..<(m * n) where alone[i].bitPattern != batch[i].bitPattern { mismatches += 1 }
                        #expect(mismatches == 0, "level \(level): rows alone differ from batch for \(p.shape)")
                    }
                }
            }
        }
    }

    @Test func hugeLeadingDimensionGivesSameBits() {
        // Only the rows that exist are touched, and lda does not enter the arithmetic:
        // a single row with an enormous lda / ldc gives the same bits as with lda = k.
        var rng = SplitMix64(seed: 5)
        for n in [1, 3, 64] {
            let k = 37
            let a = (0..<k).map { _ in rng.float() }
            let b = (0..<(k * n)).map { _ in rng.float() }
            for level in levels {
                for transB in [Int32(0), Int32(1)] {
                    let ldb = transB != 0 ? k : n
                    var c1 = [Float](repeating: 0, count: n), c2 = [Float](repeating: 0, count: n)
                    let r1 = iw_sgemm_small_level(level, transB, 1, n, k, a, k, b, ldb, &c1, n, 0)
                    let r2 = iw_sgemm_small_level(level, transB, 1, n, k, a, 1 << 40, b, ldb, &c2, 1 << 40, 0)
                    #expect(r1 == 1 && r2 == 1)
                    #expect(bits(c1) == bits(c2))
                }
            }
        }
    }

    @Test func zeroRowsWritesNothing() {
        var rng = SplitMix64(seed: 3)
        let p = Problem(transB: false, m: 0, n: 5, k: 4, lda: 4, ldb: 5, ldc: 5, accumulate: false, rng: &rng)
        for level in levels {
            let (r, c) = p.run(level: level)
            #expect(r == 1)
            #expect(bits(c) == bits(p.c0))
        }
        let (r, c) = p.run(level: nil)
        #expect(r == (cpuLevel > 0 ? 1 : 0))
        #expect(bits(c) == bits(p.c0))
    }

    @Test func refusesUnsupportedLevelsAndShapes() {
        var rng = SplitMix64(seed: 11)
        let p = Problem(transB: false, m: 3, n: 5, k: 4, lda: 4, ldb: 5, ldc: 5, accumulate: true, rng: &rng)
        // Unknown levels, and levels above what this CPU supports.
        for level in [Int32(-1), 0, 3, 42] + (cpuLevel < 2 ? [Int32(2)] : []) + (cpuLevel < 1 ? [Int32(1)] : []) {
            let (r, c) = p.run(level: level)
            #expect(r == 0, "level \(level) should be refused")
            #expect(bits(c) == bits(p.c0))
        }
        // Shapes outside the kernel's range (each must return 0 and write nothing).
        let a = [Float](repeating: 1, count: 64), b = [Float](repeating: 1, count: 64)
        var c = [Float](repeating: sentinel, count: 64)
        let bad: [(m: Int, n: Int, k: Int, lda: Int, ldb: Int, ldc: Int, tb: Int32)] = [
            (-1, 2, 2, 2, 2, 2, 0),  // m < 0
            (2, 0, 2, 2, 2, 2, 0),  // n = 0
            (2, 2, 0, 2, 2, 2, 0),  // k = 0
            (2, Int(IW_SMALL_GEMM_MAX_N) + 1, 2, 2, Int(IW_SMALL_GEMM_MAX_N) + 1, Int(IW_SMALL_GEMM_MAX_N) + 1, 0),
            (2, 2, Int(IW_SMALL_GEMM_MAX_K) + 1, Int(IW_SMALL_GEMM_MAX_K) + 1, 2, 2, 0),
            (2, 3, 4, 3, 3, 3, 0),  // lda < k
            (2, 3, 4, 4, 2, 3, 0),  // ldb < n
            (2, 3, 4, 4, 3, 3, 1),  // transposed: ldb < k
            (2, 3, 4, 4, 3, 2, 0),  // ldc < n
        ]
        for level in levels + [nil] {
            for s in bad {
                let r: Int32
                if let level {
                    r = iw_sgemm_small_level(level, s.tb, s.m, s.n, s.k, a, s.lda, b, s.ldb, &c, s.ldc, 0)
                } else {
                    r = iw_sgemm_small(s.tb, s.m, s.n, s.k, a, s.lda, b, s.ldb, &c, s.ldc, 0)
                }
                #expect(r == 0, "shape \(s) should be refused")
            }
        }
        #expect(c.allSatisfy { $0.bitPattern == sentinel.bitPattern })
    }
}
