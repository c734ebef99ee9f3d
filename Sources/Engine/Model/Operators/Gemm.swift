import CKernels

/// `C = alpha · A · B + beta · C` on row-major float buffers.
///
/// The dense layers of tabular models (alpha 1, beta 0 or 1, k and n up to 4096) go to the
/// small-GEMM kernels of `CKernels` (AVX-512F or AVX2+FMA, one FMA chain per element, so a row's
/// result never depends on the batch it came in); other shapes and CPUs without AVX2 use OpenBLAS,
/// loaded on first use, and a plain loop if even that is missing.
///
/// - Parameters:
///   - transposeA: `a` is stored as `[k, m]` rather than `[m, k]`.
///   - transposeB: `b` is stored as `[n, k]` rather than `[k, n]`.
///   - beta: 0 means `c` is written without being read.
func multiplyMatrices(
    _ a: UnsafePointer<Float>?,
    transposeA: Bool,
    _ b: UnsafePointer<Float>?,
    transposeB: Bool,
    into c: UnsafeMutablePointer<Float>,
    m: Int,
    n: Int,
    k: Int,
    alpha: Float = 1,
    beta: Float = 0
) {
    guard m > 0, n > 0 else { return }
    guard k > 0, let a, let b else {
        // Nothing to multiply: only the beta·C term remains.
        for i in 0..<(m * n) {
            c[i] = beta == 0 ? 0 : beta * c[i]
        }
        return
    }
    let lda = transposeA ? m : k
    let ldb = transposeB ? k : n
    if !transposeA && alpha == 1 && (beta == 0 || beta == 1),
        iw_sgemm_small(transposeB ? 1 : 0, m, n, k, a, lda, b, ldb, c, n, beta == 1 ? 1 : 0) == 1
    {
        return
    }
    if let m32 = Int32(exactly: m), let n32 = Int32(exactly: n), let k32 = Int32(exactly: k),
        iw_blas_sgemm(
            transposeA ? 1 : 0, transposeB ? 1 : 0, m32, n32, k32, alpha, a, Int32(lda), b, Int32(ldb), beta, c, n32
        ) == 1
    {
        return
    }
    for i in 0..<m {
        for j in 0..<n {
            var sum: Float = 0
            for p in 0..<k {
                sum += a[transposeA ? p * lda + i : i * lda + p] * b[transposeB ? j * ldb + p : p * ldb + j]
            }
            c[i * n + j] = alpha * sum + (beta == 0 ? 0 : beta * c[i * n + j])
        }
    }
}

/// Gemm: `Y = alpha · A' · B' + beta · C`, with C broadcast to `[M, N]` (opset 7+).
struct GemmKernel: OperatorKernel {
    let alpha: Float
    let beta: Float
    let transposeA: Bool
    let transposeB: Bool
    /// A following Relu, folded in by ``GraphCompiler`` (applied while the output is in cache,
    /// instead of a separate pass over a new tensor).
    var fusedRelu = false

    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        let a = try inputs.floatInput(0)
        let b = try inputs.floatInput(1)
        guard a.rank == 2, b.rank == 2 else {
            throw .shape("A and B must be 2-D, got \(a.shape.shapeText) and \(b.shape.shapeText)")
        }
        let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (bk, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        guard k == bk else {
            throw .shape(
                "inner dimensions differ: A\(transposeA ? "ᵀ" : "") is [\(m), \(k)] and B\(transposeB ? "ᵀ" : "") is [\(bk), \(n)]"
            )
        }
        guard m > 0, n > 0 else { return [Tensor(shape: [m, n], floats: [])] }
        let bias =
            beta == 0
            ? nil
            : try inputs.optional(2).map { (c: Tensor) throws(OperatorError) -> Tensor in
                guard c.elementType == .float else { throw .invalid("C must be float") }
                guard try Broadcast.shape(c.shape, [m, n]) == [m, n] else {
                    throw .shape("C of shape \(c.shape.shapeText) does not broadcast to [\(m), \(n)]")
                }
                return c
            }
        let output = [Float](unsafeUninitializedCapacity: m * n) { out, initialized in
            initialized = m * n
            // The usual dense layer: the small-GEMM kernels start each chain from the bias and
            // apply the Relu as they store (the same bits as the passes below, in one).
            if runFused(a, b, bias: bias, into: out, m: m, n: n, k: k) { return }
            if let bias {
                GemmKernel.fill(out, with: bias, scaledBy: beta, m: m, n: n)
            }
            a.floats.withUnsafeBufferPointer { aBuffer in
                b.floats.withUnsafeBufferPointer { bBuffer in
                    multiplyMatrices(
                        aBuffer.baseAddress,
                        transposeA: transposeA,
                        bBuffer.baseAddress,
                        transposeB: transposeB,
                        into: out.baseAddress!,
                        m: m,
                        n: n,
                        k: k,
                        alpha: alpha,
                        beta: bias == nil ? 0 : 1
                    )
                }
            }
            if fusedRelu, let base = out.baseAddress {
                // Exactly the Relu kernel: x > 0 ? x : 0 (NaN and -0 become +0), as a select
                // rather than a branch (half the values are negative: a branch mispredicts).
                for i in 0..<(m * n) {
                    let value = base[i]
                    base[i] = value > 0 ? value : 0
                }
            }
        }
        return [Tensor(shape: [m, n], floats: output)]
    }

    /// `A · B (+ bias row) (then Relu)` by the small-GEMM kernels, when the layer has that
    /// shape: no transposed A, alpha 1, and no C or a C of one row (`[n]` or `[1, n]`) with
    /// beta 1. False when it doesn't, or the kernels refuse the shape or CPU (nothing written).
    private func runFused(
        _ a: Tensor, _ b: Tensor, bias: Tensor?, into out: UnsafeMutableBufferPointer<Float>, m: Int, n: Int, k: Int
    ) -> Bool {
        guard !transposeA, alpha == 1, k > 0, let target = out.baseAddress else { return false }
        if let bias {
            let isRow = bias.floats.count == n && (bias.rank == 1 || (bias.rank == 2 && bias.shape[0] == 1))
            guard beta == 1, isRow else { return false }
        }
        return a.floats.withUnsafeBufferPointer { aBuffer in
            b.floats.withUnsafeBufferPointer { bBuffer in
                func multiply(_ biasRow: UnsafePointer<Float>?) -> Bool {
                    let ends = iw_gemm_ends(accumulate: 0, bias: biasRow, relu: fusedRelu ? 1 : 0)
                    return iw_sgemm_small_ends(
                        0, transposeB ? 1 : 0, m, n, k, aBuffer.baseAddress, k, bBuffer.baseAddress, transposeB ? k : n,
                        target, n, ends) == 1
                }
                guard let bias else { return multiply(nil) }
                return bias.floats.withUnsafeBufferPointer { multiply($0.baseAddress) }
            }
        }
    }

    /// Writes `beta · C` broadcast to `[m, n]`; C is a scalar, `[n]`, `[1, n]`, `[m, 1]` or `[m, n]`.
    private static func fill(_ out: UnsafeMutableBufferPointer<Float>, with c: Tensor, scaledBy beta: Float, m: Int, n: Int) {
        let padded = [Int](repeating: 1, count: 2 - c.rank) + c.shape
        let rowStride = padded[0] == 1 ? 0 : padded[1]
        let columnStride = padded[1] == 1 ? 0 : 1
        c.floats.withUnsafeBufferPointer { values in
            guard let target = out.baseAddress, let source = values.baseAddress else { return }
            if rowStride == 0 && columnStride == 1 {
                // The usual bias row: scale it once, then copy it into every output row.
                target.update(from: source, count: n)
                if beta != 1 {
                    for column in 0..<n { target[column] *= beta }
                }
                for row in 1..<max(m, 1) {
                    (target + row * n).update(from: target, count: n)
                }
                return
            }
            for row in 0..<m {
                let from = row * rowStride
                let to = row * n
                for column in 0..<n {
                    target[to + column] = beta * source[from + column * columnStride]
                }
            }
        }
    }
}

/// MatMul with NumPy semantics: 1-D operands are promoted and the added axis removed, batch axes broadcast.
struct MatMulKernel: OperatorKernel {
    func run(_ inputs: inout KernelInputs) throws(OperatorError) -> [Tensor] {
        let a = try inputs.floatInput(0)
        let b = try inputs.floatInput(1)
        guard a.rank >= 1, b.rank >= 1 else {
            throw .shape("MatMul needs operands of rank 1 or more, got \(a.shape.shapeText) and \(b.shape.shapeText)")
        }
        let aShape = a.rank == 1 ? [1, a.shape[0]] : a.shape
        let bShape = b.rank == 1 ? [b.shape[0], 1] : b.shape
        let m = aShape[aShape.count - 2]
        let k = aShape[aShape.count - 1]
        let n = bShape[bShape.count - 1]
        guard bShape[bShape.count - 2] == k else {
            throw .shape("inner dimensions differ: \(a.shape.shapeText) × \(b.shape.shapeText)")
        }
        let aBatch = Array(aShape.dropLast(2))
        let bBatch = Array(bShape.dropLast(2))
        let batch = try Broadcast.shape(aBatch, bBatch)
        let batchCount = batch.elementCount

        var outShape = batch + [m, n]
        if a.rank == 1 { outShape.remove(at: outShape.count - 2) }
        if b.rank == 1 { outShape.removeLast() }

        let total = batchCount * m * n
        let output = [Float](unsafeUninitializedCapacity: total) { out, initialized in
            a.floats.withUnsafeBufferPointer { aBuffer in
                b.floats.withUnsafeBufferPointer { bBuffer in
                    guard total > 0 else { return }
                    if bBatch.elementCount == 1 && aBatch.elementCount == batchCount {
                        // A shared right-hand matrix: all of A's batches are one tall matrix.
                        multiplyMatrices(
                            aBuffer.baseAddress, transposeA: false, bBuffer.baseAddress, transposeB: false,
                            into: out.baseAddress!, m: batchCount * m, n: n, k: k
                        )
                        return
                    }
                    let aStrides = Broadcast.broadcastStrides(aBatch, rank: batch.count, outShape: batch)
                    let bStrides = Broadcast.broadcastStrides(bBatch, rank: batch.count, outShape: batch)
                    let batchStrides = batch.rowMajorStrides
                    for index in 0..<batchCount {
                        var aMatrix = 0
                        var bMatrix = 0
                        var rest = index
                        for axis in 0..<batch.count {
                            let position = rest / batchStrides[axis]
                            rest %= batchStrides[axis]
                            aMatrix += position * aStrides[axis]
                            bMatrix += position * bStrides[axis]
                        }
                        multiplyMatrices(
                            aBuffer.baseAddress.map { $0 + aMatrix * m * k }, transposeA: false,
                            bBuffer.baseAddress.map { $0 + bMatrix * k * n }, transposeB: false,
                            into: out.baseAddress! + index * m * n, m: m, n: n, k: k
                        )
                    }
                }
            }
            initialized = total
        }
        return [Tensor(shape: outShape, floats: output)]
    }
}
