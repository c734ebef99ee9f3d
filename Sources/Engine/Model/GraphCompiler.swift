/// Turns a checked ONNX graph into an ``ExecutionPlan``.
///
/// In order: decode initializers, check that every value a node reads is
/// defined, sort the nodes topologically, compile each node's kernel, fold
/// every node whose inputs are all constants (Constant, Shape of an
/// initializer, Gather/Slice/Concat chains, …), drop nodes the first output
/// does not need, and number the remaining values into slots with their
/// last readers.
struct GraphCompiler {
    let path: String
    let graph: Onnx_GraphProto
    let opsetVersions: [String: Int]
    let tensorDecoder: TensorDecoder
    let interface: GraphInterface

    init(model: Onnx_ModelProto, path: String, interface: GraphInterface) {
        self.path = path
        self.graph = model.graph
        self.interface = interface
        self.tensorDecoder = TensorDecoder(externalData: ExternalDataReader(modelPath: path))
        var versions: [String: Int] = [:]
        for entry in model.opsetImport {
            versions[OpsetSupport.isDefaultDomain(entry.domain) ? "" : entry.domain] = Int(entry.version)
        }
        self.opsetVersions = versions
    }

    func compile() throws(ModelError) -> ExecutionPlan {
        var constants: [String: Tensor] = [:]
        let inputNames = Set(interface.inputs.map(\.name))
        for initializer in graph.initializer where !inputNames.contains(initializer.name) {
            constants[initializer.name] = try tensorDecoder.decode(initializer)
        }
        let order = try topologicalOrder(constants: constants)
        var compiled: [(node: Onnx_NodeProto, kernel: any OperatorKernel)] = []
        for index in order {
            let node = graph.node[index]
            let context = NodeContext(
                node: node,
                opsetVersion: opsetVersions[OpsetSupport.isDefaultDomain(node.domain) ? "" : node.domain]
                    ?? OpsetSupport.supportedVersions.upperBound,
                attributes: NodeAttributes(node, tensorDecoder: tensorDecoder)
            )
            do {
                compiled.append((node, try OperatorRegistry.kernel(for: context)))
            } catch {
                throw failure(error, node: node)
            }
        }
        let remaining = try fold(compiled, into: &constants)
        return makePlan(fuseRelu(remaining), constants: constants)
    }

    /// Folds each Relu that is the only reader of a Gemm's output into that Gemm (the dense
    /// layer + activation of every MLP), unless the Gemm's output is the graph's output.
    private func fuseRelu(
        _ nodes: [(node: Onnx_NodeProto, kernel: any OperatorKernel)]
    ) -> [(node: Onnx_NodeProto, kernel: any OperatorKernel)] {
        var readers: [String: Int] = [:]
        for entry in nodes {
            for name in entry.node.input where !name.isEmpty { readers[name, default: 0] += 1 }
        }
        var fused = nodes
        var removed = Set<Int>()
        for (index, entry) in nodes.enumerated() {
            guard var gemm = entry.kernel as? GemmKernel, !gemm.fusedRelu, entry.node.output.count == 1 else { continue }
            let value = entry.node.output[0]
            guard value != interface.outputName, readers[value] == 1,
                let reluIndex = nodes.indices.first(where: { nodes[$0].node.input.contains(value) }),
                nodes[reluIndex].node.opType == "Relu", nodes[reluIndex].node.domain.isEmpty || nodes[reluIndex].node.domain == "ai.onnx",
                nodes[reluIndex].node.output.count == 1
            else { continue }
            gemm.fusedRelu = true
            var node = entry.node
            node.output = nodes[reluIndex].node.output
            fused[index] = (node, gemm)
            removed.insert(reluIndex)
        }
        return fused.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
    }

    /// Node indices in an order where every node comes after the nodes it reads from (stable for sorted graphs).
    private func topologicalOrder(constants: [String: Tensor]) throws(ModelError) -> [Int] {
        var producer: [String: Int] = [:]
        let inputNames = Set(interface.inputs.map(\.name))
        for (index, node) in graph.node.enumerated() {
            for output in node.output where !output.isEmpty {
                guard producer[output] == nil, !inputNames.contains(output), constants[output] == nil else {
                    throw ModelError(
                        code: .invalidGraph,
                        message:
                            "\(path): value '\(output)' is defined more than once (again by node \(describe(node))); re-export the model"
                    )
                }
                producer[output] = index
            }
        }
        var waitingOn = [Int](repeating: 0, count: graph.node.count)
        var readers = [[Int]](repeating: [], count: graph.node.count)
        for (index, node) in graph.node.enumerated() {
            for input in node.input where !input.isEmpty {
                if let source = producer[input] {
                    waitingOn[index] += 1
                    readers[source].append(index)
                } else if !inputNames.contains(input) && constants[input] == nil {
                    throw ModelError(
                        code: .invalidGraph,
                        message:
                            "\(path): node \(describe(node)) reads '\(input)', which no node, initializer or graph input defines; re-export the model"
                    )
                }
            }
        }
        // Kahn's algorithm, always taking the lowest-numbered ready node so a sorted graph keeps its order.
        var ready = (0..<graph.node.count).filter { waitingOn[$0] == 0 }.reversed() as [Int]
        var order: [Int] = []
        order.reserveCapacity(graph.node.count)
        while let next = ready.popLast() {
            order.append(next)
            var released: [Int] = []
            for reader in readers[next] {
                waitingOn[reader] -= 1
                if waitingOn[reader] == 0 { released.append(reader) }
            }
            if !released.isEmpty {
                ready = (ready + released).sorted(by: >)
            }
        }
        guard order.count == graph.node.count else {
            let stuck = (0..<graph.node.count).filter { waitingOn[$0] > 0 }.prefix(5).map { describe(graph.node[$0]) }
            throw ModelError(
                code: .invalidGraph,
                message: "\(path): the graph has a cycle through \(stuck.joined(separator: ", ")); re-export the model"
            )
        }
        return order
    }

    /// Runs every node whose inputs are all known constants; returns the nodes left for run time.
    private func fold(
        _ nodes: [(node: Onnx_NodeProto, kernel: any OperatorKernel)],
        into constants: inout [String: Tensor]
    ) throws(ModelError) -> [(node: Onnx_NodeProto, kernel: any OperatorKernel)] {
        var remaining: [(node: Onnx_NodeProto, kernel: any OperatorKernel)] = []
        for entry in nodes {
            let node = entry.node
            let foldable = node.input.allSatisfy { $0.isEmpty || constants[$0] != nil }
            guard foldable else {
                remaining.append(entry)
                continue
            }
            var inputs = KernelInputs(node.input.map { $0.isEmpty ? nil : constants[$0] })
            let outputs: [Tensor]
            do {
                outputs = try entry.kernel.run(&inputs)
            } catch {
                throw failure(error, node: node)
            }
            for (index, name) in node.output.enumerated() where !name.isEmpty && index < outputs.count {
                constants[name] = outputs[index]
            }
        }
        return remaining
    }

    /// Keeps the nodes the first output depends on and assigns value slots.
    private func makePlan(
        _ nodes: [(node: Onnx_NodeProto, kernel: any OperatorKernel)],
        constants: [String: Tensor]
    ) -> ExecutionPlan {
        var needed: Set<String> = [interface.outputName]
        var kept: [(node: Onnx_NodeProto, kernel: any OperatorKernel)] = []
        for entry in nodes.reversed() where entry.node.output.contains(where: { needed.contains($0) }) {
            kept.append(entry)
            needed.formUnion(entry.node.input.filter { !$0.isEmpty })
        }
        kept.reverse()

        var slotOf: [String: Int] = [:]
        var initialSlots: [Tensor?] = []
        func slot(for name: String) -> Int {
            if let existing = slotOf[name] { return existing }
            slotOf[name] = initialSlots.count
            initialSlots.append(constants[name])
            return initialSlots.count - 1
        }
        let inputSlots = interface.inputs.map { slot(for: $0.name) }
        var lastReader: [Int: Int] = [:]
        var steps: [(inputs: [Int?], outputs: [Int?])] = []
        for (position, entry) in kept.enumerated() {
            let inputs = entry.node.input.map { name -> Int? in
                guard !name.isEmpty else { return nil }
                let index = slot(for: name)
                lastReader[index] = position
                return index
            }
            let outputs = entry.node.output.map { name -> Int? in
                name.isEmpty || !needed.contains(name) ? nil : slot(for: name)
            }
            steps.append((inputs, outputs))
        }
        let outputSlot = slot(for: interface.outputName)
        var releases = [[Int]](repeating: [], count: kept.count)
        for (index, position) in lastReader where index != outputSlot {
            releases[position].append(index)
        }
        return ExecutionPlan(
            modelPath: path,
            initialSlots: initialSlots,
            inputSlots: inputSlots,
            outputSlot: outputSlot,
            steps: kept.indices.map { position in
                ExecutionPlan.Step(
                    nodeName: kept[position].node.name,
                    opType: kept[position].node.opType,
                    kernel: kept[position].kernel,
                    inputs: steps[position].inputs,
                    outputs: steps[position].outputs,
                    releases: releases[position].sorted()
                )
            }
        )
    }

    private func describe(_ node: Onnx_NodeProto) -> String {
        node.name.isEmpty ? "(unnamed \(node.opType))" : "'\(node.name)' (\(node.opType))"
    }

    private func failure(_ error: OperatorError, node: Onnx_NodeProto) -> ModelError {
        ModelError(code: error.code, message: "\(path): node \(describe(node)): \(error.detail)")
    }
}
