/// NumPy-style (multidirectional) broadcasting for elementwise binary operators.
enum Broadcast {
    /// The broadcast shape of two operands, or an error naming both shapes.
    static func shape(_ a: [Int], _ b: [Int]) throws(OperatorError) -> [Int] {
        let rank = max(a.count, b.count)
        var result = [Int](repeating: 1, count: rank)
        for axis in 0..<rank {
            let aDim = axis < rank - a.count ? 1 : a[axis - (rank - a.count)]
            let bDim = axis < rank - b.count ? 1 : b[axis - (rank - b.count)]
            if aDim == bDim || bDim == 1 {
                result[axis] = aDim
            } else if aDim == 1 {
                result[axis] = bDim
            } else {
                throw .shape("shapes \(a.shapeText) and \(b.shapeText) cannot be broadcast together")
            }
        }
        return result
    }

    /// Whether `small` broadcasts to `full` as one contiguous block of `full`'s axes.
    ///
    /// That is the shape `[1, …, 1, d_j, …, d_k-1, 1, …, 1]` with the middle part
    /// equal to `full`'s: each element of `small` then covers `inner`
    /// consecutive outputs and the pattern repeats every `count * inner`. A
    /// scalar, a bias row `[C]` against `[N, C]` and a column `[N, 1]` against
    /// `[N, C]` all have this form.
    private static func block(_ small: [Int], in full: [Int]) -> (count: Int, inner: Int)? {
        let rank = full.count
        guard small.count <= rank else { return nil }
        let padded = [Int](repeating: 1, count: rank - small.count) + small
        guard let first = padded.firstIndex(where: { $0 != 1 }) else {
            return (1, full.elementCount)
        }
        let last = padded.lastIndex(where: { $0 != 1 })! + 1
        for axis in first..<last where padded[axis] != full[axis] {
            return nil
        }
        return (full[first..<last].reduce(1, *), full[last...].reduce(1, *))
    }

    /// Computes `out[i] = operation(a[…], b[…])` over the broadcast shape `outShape`.
    ///
    /// `out` may be the same memory as `a` or `b` when that operand already has
    /// the output shape: every element is read before the same index is written.
    @inline(__always)
    static func combine<T>(
        _ a: UnsafeBufferPointer<T>,
        _ aShape: [Int],
        _ b: UnsafeBufferPointer<T>,
        _ bShape: [Int],
        into out: UnsafeMutableBufferPointer<T>,
        shape outShape: [Int],
        _ operation: (T, T) -> T
    ) {
        let count = out.count
        guard count > 0 else { return }
        if a.count == count && b.count == count, let aBase = a.baseAddress, let bBase = b.baseAddress, let outBase = out.baseAddress {
            for i in 0..<count {
                outBase[i] = operation(aBase[i], bBase[i])
            }
        } else if a.count == count, let (blockCount, inner) = block(bShape, in: outShape) {
            blockCombine(full: a, small: b, into: out, blockCount: blockCount, inner: inner) { operation($0, $1) }
        } else if b.count == count, let (blockCount, inner) = block(aShape, in: outShape) {
            blockCombine(full: b, small: a, into: out, blockCount: blockCount, inner: inner) { operation($1, $0) }
        } else {
            stridedCombine(a, aShape, b, bShape, into: out, shape: outShape, operation)
        }
    }

    // The loops below index through base pointers with wrapping arithmetic: checked `base + j`
    // index sums would keep the compiler from vectorising them.
    @inline(__always)
    private static func blockCombine<T>(
        full: UnsafeBufferPointer<T>,
        small: UnsafeBufferPointer<T>,
        into out: UnsafeMutableBufferPointer<T>,
        blockCount: Int,
        inner: Int,
        _ operation: (T, T) -> T
    ) {
        guard let fullBase = full.baseAddress, let smallBase = small.baseAddress, let outBase = out.baseAddress else { return }
        let count = out.count
        let period = blockCount &* inner
        if blockCount == 1 {
            let value = smallBase.pointee
            for i in 0..<count {
                outBase[i] = operation(fullBase[i], value)
            }
        } else if inner == 1 {
            var base = 0
            if blockCount < 64 && count >= 2 * 64 {
                // A short row (a per-feature constant against [N, features]): the pattern
                // repeated to 64 or more elements makes one long loop the compiler vectorises,
                // instead of a loop of `blockCount` per row.
                let repeats = (64 + blockCount - 1) / blockCount
                let span = repeats &* blockCount
                withUnsafeTemporaryAllocation(of: T.self, capacity: span) { pattern in
                    let patternBase = pattern.baseAddress.unsafelyUnwrapped
                    for r in 0..<repeats {
                        (patternBase + r &* blockCount).initialize(from: smallBase, count: blockCount)
                    }
                    while base &+ span <= count {
                        let source = fullBase + base
                        let target = outBase + base
                        for j in 0..<span {
                            target[j] = operation(source[j], patternBase[j])
                        }
                        base &+= span
                    }
                    patternBase.deinitialize(count: span)
                }
            }
            while base < count {
                let source = fullBase + base
                let target = outBase + base
                for j in 0..<blockCount {
                    target[j] = operation(source[j], smallBase[j])
                }
                base &+= period
            }
        } else {
            var base = 0
            while base < count {
                for j in 0..<blockCount {
                    let value = smallBase[j]
                    let start = base &+ j &* inner
                    let source = fullBase + start
                    let target = outBase + start
                    for i in 0..<inner {
                        target[i] = operation(source[i], value)
                    }
                }
                base &+= period
            }
        }
    }

    /// The general case: walks the output with per-operand strides (0 along broadcast axes).
    @inline(__always)
    private static func stridedCombine<T>(
        _ a: UnsafeBufferPointer<T>,
        _ aShape: [Int],
        _ b: UnsafeBufferPointer<T>,
        _ bShape: [Int],
        into out: UnsafeMutableBufferPointer<T>,
        shape outShape: [Int],
        _ operation: (T, T) -> T
    ) {
        let rank = outShape.count
        let aStrides = broadcastStrides(aShape, rank: rank, outShape: outShape)
        let bStrides = broadcastStrides(bShape, rank: rank, outShape: outShape)
        let inner = outShape[rank - 1]
        let aInner = aStrides[rank - 1]
        let bInner = bStrides[rank - 1]
        var position = [Int](repeating: 0, count: rank)
        var aOffset = 0
        var bOffset = 0
        var outOffset = 0
        while outOffset < out.count {
            for t in 0..<inner {
                out[outOffset + t] = operation(a[aOffset + t * aInner], b[bOffset + t * bInner])
            }
            outOffset += inner
            var axis = rank - 2
            while axis >= 0 {
                position[axis] += 1
                aOffset += aStrides[axis]
                bOffset += bStrides[axis]
                if position[axis] < outShape[axis] { break }
                aOffset -= aStrides[axis] * outShape[axis]
                bOffset -= bStrides[axis] * outShape[axis]
                position[axis] = 0
                axis -= 1
            }
        }
    }

    /// Repeats `values` (of `shape`) to fill `outShape`, which it must broadcast to.
    static func expand<T>(_ values: [T], from shape: [Int], to outShape: [Int]) -> [T] {
        let count = outShape.elementCount
        guard count > 0, !values.isEmpty else { return [] }
        if shape == outShape { return values }
        return values.withUnsafeBufferPointer { source in
            [T](unsafeUninitializedCapacity: count) { out, initialized in
                let anchor = UnsafeBufferPointer(rebasing: source[0..<1])
                combine(source, shape, anchor, [], into: out, shape: outShape) { value, _ in value }
                initialized = count
            }
        }
    }

    /// Strides of an operand read under a broadcast: 0 along axes it is repeated over.
    static func broadcastStrides(_ shape: [Int], rank: Int, outShape: [Int]) -> [Int] {
        let padded = [Int](repeating: 1, count: rank - shape.count) + shape
        let strides = padded.rowMajorStrides
        return (0..<rank).map { padded[$0] == 1 && outShape[$0] != 1 ? 0 : strides[$0] }
    }
}
