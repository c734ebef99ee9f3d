/// A compiled graph: the nodes that still depend on the input, in run order, over numbered value slots.
///
/// Constant subgraphs were folded at load time into ``initialSlots``. Each
/// step knows which slots it reads for the last time, so their tensors are
/// released (or handed to the kernel for reuse) as soon as possible. The plan
/// is immutable; every run works on its own copy of the slots, so one plan
/// serves any number of threads at once.
struct ExecutionPlan: Sendable {
    struct Step: Sendable {
        let nodeName: String
        let opType: String
        let kernel: any OperatorKernel
        /// The slot of each node input; nil for an omitted optional input.
        let inputs: [Int?]
        /// The slot of each node output; nil for an output nobody reads.
        let outputs: [Int?]
        /// Slots whose last reader is this step.
        let releases: [Int]
    }

    let modelPath: String
    /// Folded constants at their slots; every other slot starts empty.
    let initialSlots: [Tensor?]
    /// The slot of each graph input, in the graph's order.
    let inputSlots: [Int]
    let outputSlot: Int
    let steps: [Step]

    /// Runs the graph on one tensor per graph input and returns the output the engine reads.
    ///
    /// The inputs are consumed: their slots then hold the only reference, so the first node (say,
    /// a standardising `Sub`) can write its result over its input instead of copying the batch.
    func run(_ inputs: consuming [Tensor]) throws(ModelError) -> Tensor {
        var slots = initialSlots
        for (slot, input) in zip(inputSlots, inputs) { slots[slot] = input }
        inputs = []
        for step in steps {
            var inputs = KernelInputs(step.inputs.map { $0.flatMap { slots[$0] } })
            for slot in step.releases {
                slots[slot] = nil
            }
            let outputs: [Tensor]
            do {
                outputs = try step.kernel.run(&inputs)
            } catch {
                throw ModelError(
                    code: error.code,
                    message: "\(modelPath): node '\(step.nodeName)' (\(step.opType)) failed: \(error.detail)"
                )
            }
            for (index, slot) in step.outputs.enumerated() {
                guard let slot else { continue }
                guard index < outputs.count else {
                    throw ModelError(
                        code: .invalidGraph,
                        message:
                            "\(modelPath): node '\(step.nodeName)' (\(step.opType)) does not produce output \(index), which the graph reads"
                    )
                }
                slots[slot] = outputs[index]
            }
        }
        guard let output = slots[outputSlot] else {
            throw ModelError(code: .invalidGraph, message: "\(modelPath): the graph did not produce its output")
        }
        return output
    }
}
