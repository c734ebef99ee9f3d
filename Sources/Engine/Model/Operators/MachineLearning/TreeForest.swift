/// How a branch node compares a row's feature value with its threshold (ONNX-ML `nodes_modes`).
enum BranchMode: UInt8, Sendable {
    case lessOrEqual, less, greaterOrEqual, greater, equal, notEqual
    /// The value is one of a set (ml opset 5's `BRANCH_MEMBER`).
    case member

    /// The mode for an ONNX name such as `BRANCH_LEQ`; nil for `LEAF` and for unknown names.
    init?(onnxName: String) {
        switch onnxName {
        case "BRANCH_LEQ": self = .lessOrEqual
        case "BRANCH_LT": self = .less
        case "BRANCH_GTE": self = .greaterOrEqual
        case "BRANCH_GT": self = .greater
        case "BRANCH_EQ": self = .equal
        case "BRANCH_NEQ": self = .notEqual
        case "BRANCH_MEMBER": self = .member
        default: return nil
        }
    }
}

/// The trees of one tree-ensemble node as ONNX-ML lists them: parallel attribute arrays, one entry
/// per node, and one entry per leaf weight.
struct TreeEnsembleListing {
    var treeIDs: [Int]
    var nodeIDs: [Int]
    var featureIDs: [Int]
    var modes: [String]
    var thresholds: [Float]
    var trueNodeIDs: [Int]
    var falseNodeIDs: [Int]
    /// 1 where a missing (NaN) value takes the true branch; may be empty (no missing-value tracks).
    var missingTracksTrue: [Int]
    /// The set of each `BRANCH_MEMBER` node, by its place in the listing.
    var memberSets: [Int: [Float]] = [:]
    var weightTreeIDs: [Int]
    var weightNodeIDs: [Int]
    /// The class (classifier) or target (regressor) each weight adds to.
    var weightTargets: [Int]
    var weights: [Float]
}

/// A tree ensemble compiled for scoring: every tree flattened into one array in pre-order, so that
/// a branch's true child is the next node and only the false child is stored.
///
/// Rows are scored in blocks with the trees in the outer loop, so one tree's nodes stay in cache
/// (and its branches in the branch predictor's history) while a block of rows walks it. Each row
/// adds its leaves' weights in tree order (the order onnxruntime adds them in), in float.
/// docs/PERFORMANCE.md has what each choice bought, and what did not pay.
struct TreeForest: Sendable {
    /// One node, 16 bytes. A branch sends a row to `index + 1` (true) or `falseChild`; a leaf's
    /// number is in ``TreeForest/leafOfNode``. A `member` branch's `threshold` holds, as its bit
    /// pattern, where its set starts in ``TreeForest/memberValues``.
    struct Node: Sendable {
        var threshold: Float
        var feature: Int32
        var falseChild: Int32
        var mode: BranchMode
        var missingGoesTrue: Bool
        var isLeaf: Bool
    }

    let nodes: [Node]
    /// The leaf number of each node that is a leaf (0 for branches).
    let leafOfNode: [Int32]
    /// Each tree's first node, in the order the trees first appear in the listing.
    let roots: [Int32]
    /// Each tree's depth: the steps a row takes from its root to its deepest leaf.
    let treeDepths: [Int32]
    /// Leaf `k`'s weights are `leafTargets[leafStart[k]..<leafStart[k + 1]]` (and `leafWeights`);
    /// both end with one unused entry.
    let leafStart: [Int32]
    let leafTargets: [Int32]
    let leafWeights: [Float]
    /// The sets of `member` branches, each as its size and then its values; one unused entry when
    /// there are none.
    let memberValues: [Float]
    /// Classes or targets the weights add to.
    let targetCount: Int
    /// One more than the largest feature index a branch reads.
    let featuresRead: Int
    /// The mode every branch uses, or nil when they differ.
    let uniformMode: BranchMode?
    /// Whether every leaf carries exactly one weight (the scoring loop then skips the weight ranges).
    let oneWeightPerLeaf: Bool
    /// The deepest root-to-leaf path, in branches.
    var depth: Int { Int(treeDepths.max() ?? 0) }

    var treeCount: Int { roots.count }

    /// The most classes or targets a model may declare (each row holds a score for every one).
    static let maximumTargets = 65_536

    /// Compiles `listing` into pre-order arrays.
    /// - Throws: when the listing's arrays disagree in length, a node is listed twice, a child is
    ///   not in its tree, a node is reached twice (not a tree), a mode is unknown, or a weight
    ///   names a node or target that does not exist.
    init(_ listing: TreeEnsembleListing, targetCount: Int) throws(OperatorError) {
        let count = listing.treeIDs.count
        guard count > 0 else { throw .invalid("the ensemble lists no nodes (nodes_treeids is empty)") }
        for (name, length) in [
            ("nodes_nodeids", listing.nodeIDs.count), ("nodes_featureids", listing.featureIDs.count),
            ("nodes_modes", listing.modes.count), ("nodes_values", listing.thresholds.count),
            ("nodes_truenodeids", listing.trueNodeIDs.count), ("nodes_falsenodeids", listing.falseNodeIDs.count),
        ] where length != count {
            throw .invalid("\(name) has \(length) entries but nodes_treeids has \(count)")
        }
        guard listing.missingTracksTrue.isEmpty || listing.missingTracksTrue.count == count else {
            throw .invalid("nodes_missing_value_tracks_true has \(listing.missingTracksTrue.count) entries for \(count) nodes")
        }
        let weightCount = listing.weights.count
        guard listing.weightTreeIDs.count == weightCount, listing.weightNodeIDs.count == weightCount,
            listing.weightTargets.count == weightCount
        else {
            throw .invalid("the weight lists (tree ids, node ids, targets, weights) differ in length")
        }
        guard targetCount > 0, targetCount <= TreeForest.maximumTargets else {
            throw .invalid("the ensemble has \(targetCount) targets or classes; 1 to \(TreeForest.maximumTargets) are supported")
        }

        let index = try NodeIndex(treeIDs: listing.treeIDs, nodeIDs: listing.nodeIDs)
        // Each listed node's weights, by a counting sort on the node's position: weightOrder
        // holds weight entries grouped by node, node k's from weightFirst[k] to weightFirst[k + 1].
        var weightPosition = [Int](repeating: 0, count: weightCount)
        var weightFirst = [Int](repeating: 0, count: count + 1)
        var treeRun = (id: Int.min, tree: -1)
        for k in 0..<weightCount {
            let (treeID, nodeID) = (listing.weightTreeIDs[k], listing.weightNodeIDs[k])
            if treeID != treeRun.id { treeRun = (treeID, index.tree(treeID) ?? -1) }
            guard treeRun.tree >= 0, let at = index.position(tree: treeRun.tree, node: nodeID) else {
                throw .invalid("a weight names node \(nodeID) of tree \(treeID), which is not listed")
            }
            let target = listing.weightTargets[k]
            guard target >= 0, target < targetCount else {
                throw .invalid("a weight of node \(nodeID) of tree \(treeID) is for target \(target), but there are \(targetCount)")
            }
            weightPosition[k] = at
            weightFirst[at + 1] += 1
        }
        for k in 0..<count { weightFirst[k + 1] += weightFirst[k] }
        var weightOrder = [Int](repeating: 0, count: weightCount)
        var filled = weightFirst
        for k in 0..<weightCount {
            weightOrder[filled[weightPosition[k]]] = k
            filled[weightPosition[k]] += 1
        }

        var nodes: [Node] = []
        nodes.reserveCapacity(count)
        var leafOfNode: [Int32] = []
        leafOfNode.reserveCapacity(count)
        var treeDepths: [Int32] = []
        var leafStart: [Int32] = [0]
        var leafTargets: [Int32] = []
        var leafWeights: [Float] = []
        var roots: [Int32] = []
        var visited = [Bool](repeating: false, count: count)
        var featuresRead = 0
        var modes = Set<UInt8>()
        var memberValues: [Float] = []
        for (tree, rootPosition) in index.roots.enumerated() {
            roots.append(Int32(nodes.count))
            var depth = 0
            // Work items: a listing position, the emitted branch whose false child it is, its depth.
            var pending: [(position: Int, falseChildOf: Int?, depth: Int)] = [(rootPosition, nil, 0)]
            while let item = pending.popLast() {
                let at = item.position
                let treeID = listing.treeIDs[at]
                guard !visited[at] else {
                    throw .invalid("node \(listing.nodeIDs[at]) of tree \(treeID) is reached twice; each tree must be a tree")
                }
                visited[at] = true
                if let parent = item.falseChildOf { nodes[parent].falseChild = Int32(nodes.count) }
                depth = max(depth, item.depth)
                let modeName = listing.modes[at]
                if modeName == "LEAF" {
                    nodes.append(Node(threshold: 0, feature: 0, falseChild: 0, mode: .lessOrEqual, missingGoesTrue: false, isLeaf: true))
                    leafOfNode.append(Int32(leafStart.count - 1))
                    for k in weightOrder[weightFirst[at]..<weightFirst[at + 1]] {
                        leafTargets.append(Int32(listing.weightTargets[k]))
                        leafWeights.append(listing.weights[k])
                    }
                    leafStart.append(Int32(leafTargets.count))
                    continue
                }
                guard let mode = BranchMode(onnxName: modeName) else {
                    throw .invalid(
                        "node \(listing.nodeIDs[at]) of tree \(treeID) has mode '\(modeName)'; expected LEAF or BRANCH_LEQ, BRANCH_LT, BRANCH_GTE, BRANCH_GT, BRANCH_EQ, BRANCH_NEQ, BRANCH_MEMBER"
                    )
                }
                let feature = listing.featureIDs[at]
                guard feature >= 0, feature < Int(Int32.max) else {
                    throw .invalid("node \(listing.nodeIDs[at]) of tree \(treeID) reads feature \(feature)")
                }
                func child(_ id: Int, _ which: String) throws(OperatorError) -> Int {
                    guard let child = index.position(tree: tree, node: id) else {
                        throw .invalid("node \(listing.nodeIDs[at]) of tree \(treeID) has \(which) child \(id), which is not in the tree")
                    }
                    return child
                }
                let trueChild = try child(listing.trueNodeIDs[at], "true")
                let falseChild = try child(listing.falseNodeIDs[at], "false")
                featuresRead = max(featuresRead, feature + 1)
                modes.insert(mode.rawValue)
                let missingGoesTrue = listing.missingTracksTrue.isEmpty ? false : listing.missingTracksTrue[at] == 1
                let index = nodes.count
                var threshold = listing.thresholds[at]
                if mode == .member {
                    let members = listing.memberSets[at] ?? []
                    threshold = Float(bitPattern: UInt32(memberValues.count))
                    memberValues.append(Float(members.count))
                    memberValues += members
                }
                nodes.append(
                    Node(
                        threshold: threshold, feature: Int32(feature), falseChild: -1, mode: mode,
                        missingGoesTrue: missingGoesTrue, isLeaf: false))
                leafOfNode.append(0)
                // The true child is popped next, so it lands at index + 1.
                pending.append((falseChild, index, item.depth + 1))
                pending.append((trueChild, nil, item.depth + 1))
            }
            treeDepths.append(Int32(depth))
        }
        // One unused entry at the end, so that the weights' storage is never empty (a forest whose
        // leaves carry no weight still has a buffer to point at).
        leafTargets.append(0)
        leafWeights.append(0)
        memberValues.append(0)
        self.memberValues = memberValues
        self.nodes = nodes
        self.leafOfNode = leafOfNode
        self.roots = roots
        self.treeDepths = treeDepths
        self.leafStart = leafStart
        self.leafTargets = leafTargets
        self.leafWeights = leafWeights
        self.targetCount = targetCount
        self.featuresRead = featuresRead
        self.uniformMode = modes.count == 1 ? BranchMode(rawValue: modes.first!) : (modes.isEmpty ? .lessOrEqual : nil)
        self.oneWeightPerLeaf = zip(leafStart, leafStart.dropFirst()).allSatisfy { $1 - $0 == 1 }
    }
}

/// Finds a node's position in the listing from its tree and node ids, without hashing a million
/// pairs: trees are numbered in order of first appearance (their nodes usually come in one run),
/// and each tree looks its node ids up in a dense table when they are compact (converters number
/// nodes 0, 1, 2, …), or in a dictionary when they are not.
private struct NodeIndex {
    /// Each tree's first listed node, in order of first appearance: its root.
    private(set) var roots: [Int] = []
    private var treeNumber: [Int: Int] = [:]
    private var firstID: [Int] = []
    private var dense: [[Int32]] = []
    private var sparse: [[Int: Int]] = []

    /// - Throws: when a (tree, node) pair is listed twice.
    init(treeIDs: [Int], nodeIDs: [Int]) throws(OperatorError) {
        var members: [[Int]] = []
        var run = (id: Int.min, tree: -1)
        for position in treeIDs.indices {
            let id = treeIDs[position]
            if id != run.id {
                if let known = treeNumber[id] {
                    run = (id, known)
                } else {
                    run = (id, roots.count)
                    treeNumber[id] = roots.count
                    roots.append(position)
                    members.append([])
                }
            }
            members[run.tree].append(position)
        }
        for positions in members {
            let ids = positions.map { nodeIDs[$0] }
            let low = ids.min()!
            let high = ids.max()!
            firstID.append(low)
            let (span, overflow) = high.subtractingReportingOverflow(low)
            if !overflow && span < 4 * ids.count + 16 {
                var table = [Int32](repeating: -1, count: span + 1)
                for (position, id) in zip(positions, ids) {
                    guard table[id - low] < 0 else { throw .invalid("node \(id) of tree \(treeIDs[position]) is listed twice") }
                    table[id - low] = Int32(position)
                }
                dense.append(table)
                sparse.append([:])
            } else {
                var table: [Int: Int] = [:]
                for (position, id) in zip(positions, ids) {
                    guard table.updateValue(position, forKey: id) == nil else {
                        throw .invalid("node \(id) of tree \(treeIDs[position]) is listed twice")
                    }
                }
                dense.append([])
                sparse.append(table)
            }
        }
    }

    /// The number of the tree with this id, if it has nodes.
    func tree(_ id: Int) -> Int? { treeNumber[id] }

    /// The listing position of node `node` of tree number `tree`.
    func position(tree: Int, node: Int) -> Int? {
        if dense[tree].isEmpty { return sparse[tree][node] }
        let (offset, overflow) = node.subtractingReportingOverflow(firstID[tree])
        guard !overflow, offset >= 0, offset < dense[tree].count, dense[tree][offset] >= 0 else { return nil }
        return Int(dense[tree][offset])
    }
}

/// How the leaves a row reaches combine, per class or target (ONNX-ML `aggregate_function`).
enum TreeAggregation: String, Sendable {
    case sum = "SUM"
    case average = "AVERAGE"
    case minimum = "MIN"
    case maximum = "MAX"
}

extension TreeForest {
    /// Rows scored together per tree: a tree's nodes and branch history are reused across them,
    /// and their features (40 KB for ten) stay near L1. 64 rows took 6.9 s on the benchmark's
    /// 1M rows, 256 5.8 s, 1024 5.5 s, 4096 5.3 s.
    static let blockRows = 1024

    /// Adds every tree's leaf weights for `rowCount` rows of `stride` floats into `scores`
    /// (`rowCount × targetCount`, zeroed by the caller) and marks in `hasScore` which classes or
    /// targets received a weight, as onnxruntime tracks them.
    func accumulate(
        rows: UnsafePointer<Float>, rowCount: Int, stride: Int, aggregation: TreeAggregation,
        scores: UnsafeMutablePointer<Float>, hasScore: UnsafeMutablePointer<Bool>
    ) {
        switch uniformMode {
        case .lessOrEqual?: accumulate(LessOrEqualRule.self, rows, rowCount, stride, aggregation, scores, hasScore)
        case .less?: accumulate(LessRule.self, rows, rowCount, stride, aggregation, scores, hasScore)
        case .greater?: accumulate(GreaterRule.self, rows, rowCount, stride, aggregation, scores, hasScore)
        default: accumulate(AnyModeRule.self, rows, rowCount, stride, aggregation, scores, hasScore)
        }
    }

    @inline(__always)
    private func accumulate<Rule: BranchRule>(
        _: Rule.Type, _ rows: UnsafePointer<Float>, _ rowCount: Int, _ stride: Int, _ aggregation: TreeAggregation,
        _ scores: UnsafeMutablePointer<Float>, _ hasScore: UnsafeMutablePointer<Bool>
    ) {
        // Every array's storage is taken once here: inside the loops, an array access could retain
        // and release its buffer, atomically, for each of the billions of steps.
        nodes.withUnsafeBufferPointer { nodes in
            leafOfNode.withUnsafeBufferPointer { leafOfNode in
                leafStart.withUnsafeBufferPointer { leafStart in
                    leafTargets.withUnsafeBufferPointer { leafTargets in
                        leafWeights.withUnsafeBufferPointer { leafWeights in
                            memberValues.withUnsafeBufferPointer { members in
                                let leaves = Leaves(
                                    start: leafStart.baseAddress!, targets: leafTargets.baseAddress!, weights: leafWeights.baseAddress!,
                                    oneWeightPerLeaf: oneWeightPerLeaf, targetCount: targetCount, aggregation: aggregation,
                                    scores: scores, hasScore: hasScore)
                                walk(
                                    Rule.self, nodes.baseAddress!, leafOfNode.baseAddress!, members.baseAddress!, leaves, rows, rowCount,
                                    stride)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Where a row's leaves put their weights.
    private struct Leaves {
        let start: UnsafePointer<Int32>
        let targets: UnsafePointer<Int32>
        let weights: UnsafePointer<Float>
        let oneWeightPerLeaf: Bool
        let targetCount: Int
        let aggregation: TreeAggregation
        let scores: UnsafeMutablePointer<Float>
        let hasScore: UnsafeMutablePointer<Bool>

        /// Adds leaf `leaf`'s weights to `row`'s scores.
        @inline(__always)
        func add(_ leaf: Int, row: Int) {
            let rowScores = scores + row * targetCount
            let rowHas = hasScore + row * targetCount
            if oneWeightPerLeaf {
                let target = Int(targets[leaf])
                TreeForest.add(weights[leaf], to: rowScores + target, has: rowHas + target, aggregation)
            } else {
                for k in Int(start[leaf])..<Int(start[leaf + 1]) {
                    let target = Int(targets[k])
                    TreeForest.add(weights[k], to: rowScores + target, has: rowHas + target, aggregation)
                }
            }
        }
    }

    @inline(__always)
    private func walk<Rule: BranchRule>(
        _: Rule.Type, _ nodes: UnsafePointer<Node>, _ leafOfNode: UnsafePointer<Int32>, _ members: UnsafePointer<Float>,
        _ leaves: Leaves,
        _ rows: UnsafePointer<Float>, _ rowCount: Int, _ stride: Int
    ) {
        var blockStart = 0
        while blockStart < rowCount {
            let blockEnd = min(blockStart + TreeForest.blockRows, rowCount)
            for root in roots {
                let root = Int(root)
                for row in blockStart..<blockEnd {
                    let x = rows + row * stride
                    var at = root
                    var node = nodes[at]
                    while !node.isLeaf {
                        at = Rule.goesTrue(x[Int(node.feature)], node, members) ? at + 1 : Int(node.falseChild)
                        node = nodes[at]
                    }
                    leaves.add(Int(leafOfNode[at]), row: row)
                }
            }
            blockStart = blockEnd
        }
    }

    @inline(__always)
    private static func add(
        _ weight: Float, to score: UnsafeMutablePointer<Float>, has: UnsafeMutablePointer<Bool>, _ aggregation: TreeAggregation
    ) {
        switch aggregation {
        case .sum, .average:
            score.pointee += weight
        case .minimum:
            if !has.pointee || weight < score.pointee { score.pointee = weight }
        case .maximum:
            if !has.pointee || weight > score.pointee { score.pointee = weight }
        }
        has.pointee = true
    }
}

/// One branch comparison, specialised per mode so the walk has no per-node switch when every
/// branch of the forest uses the same mode. NaN fails every comparison except `!=`, and then
/// takes the true branch only where the node's missing-value track says so (onnxruntime's rule).
private protocol BranchRule {
    static func goesTrue(_ value: Float, _ node: TreeForest.Node, _ members: UnsafePointer<Float>) -> Bool
}

// "x <= t, or x is NaN" is "not (x > t)": each rule is one comparison, picked by the track.
private enum LessOrEqualRule: BranchRule {
    @inline(__always) static func goesTrue(_ value: Float, _ node: TreeForest.Node, _: UnsafePointer<Float>) -> Bool {
        node.missingGoesTrue ? !(value > node.threshold) : value <= node.threshold
    }
}

private enum LessRule: BranchRule {
    @inline(__always) static func goesTrue(_ value: Float, _ node: TreeForest.Node, _: UnsafePointer<Float>) -> Bool {
        node.missingGoesTrue ? !(value >= node.threshold) : value < node.threshold
    }
}

private enum GreaterRule: BranchRule {
    @inline(__always) static func goesTrue(_ value: Float, _ node: TreeForest.Node, _: UnsafePointer<Float>) -> Bool {
        node.missingGoesTrue ? !(value <= node.threshold) : value > node.threshold
    }
}

private enum AnyModeRule: BranchRule {
    @inline(__always) static func goesTrue(_ value: Float, _ node: TreeForest.Node, _ members: UnsafePointer<Float>) -> Bool {
        let passes: Bool
        switch node.mode {
        case .lessOrEqual: passes = value <= node.threshold
        case .less: passes = value < node.threshold
        case .greaterOrEqual: passes = value >= node.threshold
        case .greater: passes = value > node.threshold
        case .equal: passes = value == node.threshold
        case .notEqual: passes = value != node.threshold
        case .member:
            let set = members + Int(node.threshold.bitPattern)
            var found = false
            for k in 0..<Int(set[0]) where set[1 + k] == value {
                found = true
                break
            }
            passes = found
        }
        return passes || (node.missingGoesTrue && value.isNaN)
    }
}
