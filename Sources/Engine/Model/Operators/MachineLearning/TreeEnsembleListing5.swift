/// ONNX-ML TreeEnsemble (ml opset 5): the regressor and classifier of earlier opsets in one
/// operator, with its trees listed differently: interior nodes in `nodes_*` and leaves in `leaf_*`,
/// each child named by its index in one list or the other (`nodes_trueleafs`/`nodes_falseleafs`
/// say which), trees by their roots, and set-membership branches (`BRANCH_MEMBER`) whose sets
/// follow one another in `membership_values`, separated by NaN.
///
/// It compiles into the same ``TreeForest`` and kernel as TreeEnsembleRegressor (no base values),
/// which is how onnxruntime runs it too: a classifier is this node followed by standard ops
/// (Softmax, ArgMax, …).
enum TreeEnsembleOpset5 {
    /// The kernel for a TreeEnsemble node.
    static func kernel(_ context: NodeContext) throws(OperatorError) -> TreeEnsembleRegressorKernel {
        let attributes = context.attributes
        let aggregation: TreeAggregation
        switch try attributes.int("aggregate_function", default: 1) {
        case 0: aggregation = .average
        case 1: aggregation = .sum
        case 2: aggregation = .minimum
        case 3: aggregation = .maximum
        case let other: throw .invalid("aggregate_function \(other) is not 0 (AVERAGE), 1 (SUM), 2 (MIN) or 3 (MAX)")
        }
        let transformNumber = try attributes.int("post_transform", default: 0)
        guard PostTransform.opset5Order.indices.contains(transformNumber) else {
            throw .invalid("post_transform \(transformNumber) is not 0 (NONE) to 4 (PROBIT)")
        }
        let targets = try attributes.int("n_targets", default: 1)
        let forest = try TreeForest(listing(attributes), targetCount: targets)
        return TreeEnsembleRegressorKernel(
            forest: forest, aggregation: aggregation, transform: PostTransform.opset5Order[transformNumber], baseValues: [])
    }

    /// The trees re-listed in the earlier opsets' form: each interior node keeps its index as its
    /// id, each leaf gets `interior count + its index`, and every node is listed under the tree
    /// whose root reaches it.
    static func listing(_ attributes: NodeAttributes) throws(OperatorError) -> TreeEnsembleListing {
        func ints(_ name: String) throws(OperatorError) -> [Int] { try attributes.ints(name) ?? [] }
        func tensor(_ name: String) throws(OperatorError) -> Tensor? { try attributes.tensor(name) }
        let features = try ints("nodes_featureids")
        let trueIDs = try ints("nodes_truenodeids")
        let falseIDs = try ints("nodes_falsenodeids")
        let trueLeafs = try ints("nodes_trueleafs")
        let falseLeafs = try ints("nodes_falseleafs")
        let missing = try ints("nodes_missing_value_tracks_true")
        let modes = try tensor("nodes_modes")?.valuesAsInt64 ?? []
        let splits = try tensor("nodes_splits")?.valuesAsFloat ?? []
        let roots = try ints("tree_roots")
        let leafTargets = try ints("leaf_targetids")
        let leafWeights = try tensor("leaf_weights")?.valuesAsFloat ?? []
        let interior = features.count
        for (name, length) in [
            ("nodes_truenodeids", trueIDs.count), ("nodes_falsenodeids", falseIDs.count), ("nodes_trueleafs", trueLeafs.count),
            ("nodes_falseleafs", falseLeafs.count), ("nodes_modes", modes.count), ("nodes_splits", splits.count),
        ] where length != interior {
            throw .invalid("\(name) has \(length) entries but nodes_featureids has \(interior)")
        }
        guard missing.isEmpty || missing.count == interior else {
            throw .invalid("nodes_missing_value_tracks_true has \(missing.count) entries for \(interior) nodes")
        }
        guard leafTargets.count == leafWeights.count else {
            throw .invalid("leaf_targetids has \(leafTargets.count) entries but leaf_weights has \(leafWeights.count)")
        }
        guard !roots.isEmpty else { throw .invalid("tree_roots is empty") }

        let modeNames = ["BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT", "BRANCH_EQ", "BRANCH_NEQ", "BRANCH_MEMBER"]
        // The sets of the member nodes, in node order.
        var sets: [Int: [Float]] = [:]
        if modes.contains(6) {
            let values = try tensor("membership_values")?.valuesAsFloat ?? []
            var groups = values.split(omittingEmptySubsequences: false, whereSeparator: \.isNaN).map(Array.init)
            if values.last?.isNaN == true { groups.removeLast() }
            let members = modes.indices.filter { modes[$0] == 6 }
            guard groups.count == members.count else {
                throw .invalid("membership_values holds \(groups.count) sets for \(members.count) BRANCH_MEMBER nodes")
            }
            for (node, group) in zip(members, groups) { sets[node] = group }
        }

        var listing = TreeEnsembleListing(
            treeIDs: [], nodeIDs: [], featureIDs: [], modes: [], thresholds: [], trueNodeIDs: [], falseNodeIDs: [],
            missingTracksTrue: [], weightTreeIDs: [], weightNodeIDs: [], weightTargets: [], weights: [])
        var owner = [Int](repeating: -1, count: interior + leafWeights.count)
        /// The listing position of a child: an interior node's index, or `interior +` a leaf's.
        func child(of node: Int, _ index: Int, isLeaf: Int, _ which: String) throws(OperatorError) -> Int {
            let limit = isLeaf != 0 ? leafWeights.count : interior
            guard index >= 0, index < limit else {
                throw .invalid("node \(node)'s \(which) child \(index) is not a\(isLeaf != 0 ? " leaf" : "n interior node")")
            }
            return isLeaf != 0 ? interior + index : index
        }
        for (tree, root) in roots.enumerated() {
            guard root >= 0, root < interior else { throw .invalid("tree \(tree)'s root \(root) is not an interior node") }
            var pending = [root]
            while let node = pending.popLast() {
                guard owner[node] < 0 else {
                    throw .invalid("node \(node) is reached twice (again from tree \(tree)); each node must belong to one tree")
                }
                owner[node] = tree
                listing.treeIDs.append(tree)
                listing.nodeIDs.append(node)
                // A branch whose two children are one leaf is that leaf (how a tree of one leaf is written).
                var leafNode = node
                if node < interior, trueLeafs[node] != 0, falseLeafs[node] != 0, trueIDs[node] == falseIDs[node] {
                    leafNode = try child(of: node, trueIDs[node], isLeaf: 1, "true")
                    guard owner[leafNode] < 0 else {
                        throw .invalid("leaf \(trueIDs[node]) is reached twice; each leaf must belong to one tree")
                    }
                    owner[leafNode] = tree
                }
                guard leafNode < interior else {
                    let leaf = leafNode - interior
                    listing.featureIDs.append(0)
                    listing.modes.append("LEAF")
                    listing.thresholds.append(0)
                    listing.trueNodeIDs.append(0)
                    listing.falseNodeIDs.append(0)
                    listing.missingTracksTrue.append(0)
                    listing.weightTreeIDs.append(tree)
                    listing.weightNodeIDs.append(node)
                    listing.weightTargets.append(leafTargets[leaf])
                    listing.weights.append(leafWeights[leaf])
                    continue
                }
                guard modes[node] >= 0, modes[node] < modeNames.count else {
                    throw .invalid("node \(node) has mode \(modes[node]); expected 0 (BRANCH_LEQ) to 6 (BRANCH_MEMBER)")
                }
                let trueChild = try child(of: node, trueIDs[node], isLeaf: trueLeafs[node], "true")
                let falseChild = try child(of: node, falseIDs[node], isLeaf: falseLeafs[node], "false")
                listing.featureIDs.append(features[node])
                listing.modes.append(modeNames[Int(modes[node])])
                listing.thresholds.append(splits[node])
                listing.trueNodeIDs.append(trueChild)
                listing.falseNodeIDs.append(falseChild)
                listing.missingTracksTrue.append(missing.isEmpty ? 0 : missing[node])
                if let set = sets[node] { listing.memberSets[listing.treeIDs.count - 1] = set }
                pending.append(falseChild)
                pending.append(trueChild)
            }
        }
        return listing
    }
}
