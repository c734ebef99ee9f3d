#!/usr/bin/env python3
"""Generate the ai.onnx.ml opset 5 ``TreeEnsemble`` fixtures: committed tree models re-expressed with the
new operator, and hand-built ensembles that use what only opset 5 has (BRANCH_MEMBER sets).

Regenerate (a few seconds; needs only onnx, onnxruntime and numpy, see make_tree_models.py for the venv):

    /tmp/convvenv/bin/python Tests/EngineTests/Fixtures/make_tree_ensemble_v5.py

It reads ``trees/rf_regressor.onnx``, ``trees/lgbm_regressor.onnx`` and ``trees/xgb_multiclass.onnx``
(written by make_tree_models.py) and writes into ``Tests/EngineTests/Fixtures/trees/``, with
``ensemble_v5.json`` describing each model in fixtures.json's format:

* ``v5_rf_regressor.onnx``    rf_regressor.onnx as one TreeEnsemble (AVERAGE, 30 trees). Tensors as raw_data.
* ``v5_lgbm_regressor.onnx``  lgbm_regressor.onnx as one TreeEnsemble (SUM, 80 trees, missing tracks).
* ``v5_xgb_multiclass.onnx``  xgb_multiclass.onnx as TreeEnsemble (3 targets, post_transform NONE) -> Add
                              (the classifier's base_values) -> Softmax -> ``probabilities``, and
                              ArgMax(scores) -> Gather(labels) -> ``label`` (int64 0, 1, 2; listed first).
                              Kind "multiclass": the labels come from a constant, not from a classifier
                              node, so the manifest carries them.
* ``v5_hand_member.onnx``     hand-built: every mode 0..6, BRANCH_MEMBER sets on the whole-number
                              columns, missing tracks, 2 targets, SUM, post_transform 3 (SOFTMAX_ZERO: 1
                              and 2 are avoided, onnxruntime 1.32 swaps them, see below). Kind "raw".
* ``v5_hand_average.onnx``    hand-built: 1 target, AVERAGE, NONE, one single-leaf tree.
* ``v5_hand_max.onnx``        hand-built: 2 targets, MAX, NONE (rows that reach no leaf of a target
                              get 0 for it in onnxruntime).

The hand-built models write their tensors with typed fields (float_data; int32_data for the uint8
modes); the converted ones use raw_data. Interior nodes and leaves of the hand-built models are
shuffled across trees, so tree_roots are not 0, k, 2k... and no tree is stored contiguously.

Attribute layout (opset 5): ``nodes_*`` hold interior nodes only, one entry per node;
``nodes_truenodeids[i]`` is a position in ``nodes_*`` when ``nodes_trueleafs[i]`` is 0 and a position in
``leaf_*`` when it is 1 (the same for false). Each leaf is one (``leaf_targetids``, ``leaf_weights``)
pair. ``tree_roots`` are positions in ``nodes_*``. ``membership_values`` lists, for every node whose
mode is 6 in ``nodes_*`` order, its set members followed by one NaN. ``aggregate_function``: 0 AVERAGE,
1 SUM, 2 MIN, 3 MAX; ``post_transform``: 0 NONE, 1 SOFTMAX, 2 LOGISTIC, 3 SOFTMAX_ZERO, 4 PROBIT. A tree
that is one leaf is a node whose true and false branches are the same leaf; onnxruntime 1.32 (and
onnx's reference) then read leaf_*[root position] rather than leaf_*[nodes_truenodeids[root]], so the
single-leaf tree here has its leaf at the same position as its root node, where both readings agree.

What onnxruntime 1.32 does, which the checks below rely on (float input: splits, members, weights
and sums are all float32):
* NaN goes to the true branch when the node's missing track is 1; otherwise it follows the IEEE
  comparison: false for LEQ, LT, GTE, GT, EQ and MEMBER, true for NEQ (NaN != v).
* BRANCH_MEMBER sets of fewer than 31 members, all in [0, 30], are exact float equality tests. Larger
  sets, or ones with members outside [0, 30], must hold whole numbers (a member like 3.5 makes the
  session fail to load) and are tested on the input truncated to an integer (3.5 and 3.99 are members
  of {3, 31, 45}). The hand-built models only test MEMBER on whole-number columns, and the rows
  checked here are whole numbers there, so both readings agree.
* post_transform is read with onnxruntime's own enum: 1 is LOGISTIC and 2 is SOFTMAX, the reverse of
  the spec (1 SOFTMAX, 2 LOGISTIC); 3 SOFTMAX_ZERO and 4 PROBIT agree. With one target, only PROBIT is
  applied (onnxruntime issue 26596). aggregate_function 0..3 agree with the spec.
* MIN and MAX leave a target that no leaf reached at 0.
The script checks the hand-built models against a numpy evaluation with these rules, and says which
reading of post_transform onnxruntime took.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "trees")
sys.path.insert(0, HERE)
from make_tree_models import COLUMNS, RANGES, sample  # noqa: E402

MODE_CODES = {"BRANCH_LEQ": 0, "BRANCH_LT": 1, "BRANCH_GTE": 2, "BRANCH_GT": 3, "BRANCH_EQ": 4, "BRANCH_NEQ": 5,
              "BRANCH_MEMBER": 6}
AGGREGATES = {"AVERAGE": 0, "SUM": 1, "MIN": 2, "MAX": 3}
TRANSFORMS = {"NONE": 0, "SOFTMAX": 1, "LOGISTIC": 2, "SOFTMAX_ZERO": 3, "PROBIT": 4}
ROWS = 10000


# --- The opset 5 layout ---------------------------------------------------------------------------

class Ensemble:
    """The attribute lists of one TreeEnsemble node, filled tree by tree."""

    def __init__(self):
        self.featureids, self.splits, self.modes, self.missing, self.hitrates = [], [], [], [], []
        self.true_ids, self.false_ids, self.true_leaf, self.false_leaf = [], [], [], []
        self.members: dict[int, list[float]] = {}  # node position -> set, for mode 6
        self.leaf_targets, self.leaf_weights = [], []
        self.roots = []

    def add_node(self, feature, mode, split, missing, hitrate=1.0, members=None) -> int:
        self.featureids.append(int(feature))
        self.modes.append(int(mode))
        self.splits.append(float(split))
        self.missing.append(int(missing))
        self.hitrates.append(float(hitrate))
        self.true_ids.append(-1)
        self.false_ids.append(-1)
        self.true_leaf.append(0)
        self.false_leaf.append(0)
        if mode == 6:
            self.members[len(self.modes) - 1] = [float(v) for v in members]
        return len(self.modes) - 1

    def add_leaf(self, target, weight) -> int:
        self.leaf_targets.append(int(target))
        self.leaf_weights.append(float(weight))
        return len(self.leaf_targets) - 1

    def link(self, node, branch_true: bool, child: int, is_leaf: bool):
        (self.true_ids if branch_true else self.false_ids)[node] = child
        (self.true_leaf if branch_true else self.false_leaf)[node] = int(is_leaf)

    def membership_values(self) -> list[float]:
        values = []
        for position, mode in enumerate(self.modes):
            if mode == 6:
                values += self.members[position] + [float("nan")]
        return values

    def permuted(self, rng: np.random.Generator, keep_first: bool = False) -> "Ensemble":
        """The same ensemble with interior nodes and leaves stored in random order (but for the first
        node and leaf when keep_first)."""
        def order(n):
            return np.concatenate([[0], 1 + rng.permutation(n - 1)]) if keep_first else rng.permutation(n)
        node_order = order(len(self.modes))  # new position -> old position
        leaf_order = order(len(self.leaf_targets))
        node_new = np.empty_like(node_order)
        node_new[node_order] = np.arange(len(node_order))
        leaf_new = np.empty_like(leaf_order)
        leaf_new[leaf_order] = np.arange(len(leaf_order))
        other = Ensemble()
        for old in node_order:
            other.add_node(self.featureids[old], self.modes[old], self.splits[old], self.missing[old],
                           self.hitrates[old], self.members.get(int(old)))
        for new, old in enumerate(node_order):
            for branch_true, ids, leafs in ((True, self.true_ids, self.true_leaf), (False, self.false_ids, self.false_leaf)):
                child = ids[old]
                other.link(new, branch_true, int(leaf_new[child] if leafs[old] else node_new[child]), bool(leafs[old]))
        for old in leaf_order:
            other.add_leaf(self.leaf_targets[old], self.leaf_weights[old])
        other.roots = [int(node_new[r]) for r in self.roots]
        return other

    def attributes(self, n_targets, aggregate, transform, raw: bool, hitrates: bool) -> dict:
        from onnx import TensorProto, helper, numpy_helper

        def tensor(name, values, dtype):
            if raw:
                return numpy_helper.from_array(np.array(values, dtype=dtype), name)
            kind = TensorProto.UINT8 if dtype == np.uint8 else TensorProto.FLOAT
            return helper.make_tensor(name, kind, [len(values)], list(values))

        attributes = dict(
            n_targets=n_targets, aggregate_function=AGGREGATES[aggregate], post_transform=TRANSFORMS[transform],
            tree_roots=self.roots, nodes_featureids=self.featureids,
            nodes_splits=tensor("nodes_splits", self.splits, np.float32),
            nodes_modes=tensor("nodes_modes", self.modes, np.uint8),
            nodes_truenodeids=self.true_ids, nodes_falsenodeids=self.false_ids,
            nodes_trueleafs=self.true_leaf, nodes_falseleafs=self.false_leaf,
            nodes_missing_value_tracks_true=self.missing,
            leaf_targetids=self.leaf_targets, leaf_weights=tensor("leaf_weights", self.leaf_weights, np.float32))
        if hitrates:
            attributes["nodes_hitrates"] = tensor("nodes_hitrates", self.hitrates, np.float32)
        if self.members:
            attributes["membership_values"] = tensor("membership_values", self.membership_values(), np.float32)
        return attributes

    def evaluate(self, x: np.ndarray, n_targets: int, aggregate: str, transform: str) -> np.ndarray:
        """A plain numpy reading of the spec with onnxruntime's NaN rules (see the docstring), in float32."""
        f32 = np.float32
        start = {"SUM": 0.0, "AVERAGE": 0.0, "MIN": np.inf, "MAX": -np.inf}[aggregate]
        out = np.full((len(x), n_targets), start, dtype=f32)
        seen = np.zeros((len(x), n_targets), dtype=bool)
        for row in range(len(x)):
            for root in self.roots:
                position, is_leaf = root, (self.true_leaf[root] and self.false_leaf[root]
                                           and self.true_ids[root] == self.false_ids[root])
                if is_leaf:  # onnxruntime's reading of a single-leaf tree: leaf_*[root position]
                    target, weight = self.leaf_targets[root], f32(self.leaf_weights[root])
                else:
                    while True:
                        value = x[row, self.featureids[position]]
                        split, mode = f32(self.splits[position]), self.modes[position]
                        if np.isnan(value) and self.missing[position]:
                            go = True
                        elif mode == 6:
                            go = any(value == f32(m) for m in self.members[position])
                        else:
                            go = [value <= split, value < split, value >= split, value > split,
                                  value == split, value != split][mode]
                        child = self.true_ids[position] if go else self.false_ids[position]
                        if (self.true_leaf if go else self.false_leaf)[position]:
                            target, weight = self.leaf_targets[child], f32(self.leaf_weights[child])
                            break
                        position = child
                if aggregate in ("SUM", "AVERAGE"):
                    out[row, target] = f32(out[row, target] + weight)
                elif aggregate == "MIN":
                    out[row, target] = min(out[row, target], weight)
                else:
                    out[row, target] = max(out[row, target], weight)
                seen[row, target] = True
        if aggregate == "AVERAGE":
            out = (out / f32(len(self.roots))).astype(f32)
        out[~seen] = 0.0  # onnxruntime: a target no leaf reached stays at 0 (MIN and MAX too)
        if transform == "LOGISTIC":
            out = (1.0 / (1.0 + np.exp(-out.astype(np.float64)))).astype(f32)
        elif transform == "SOFTMAX":
            e = np.exp(out.astype(np.float64) - out.max(axis=1, keepdims=True))
            out = (e / e.sum(axis=1, keepdims=True)).astype(f32)
        elif transform == "SOFTMAX_ZERO":
            # Softmax over the scores that are not (almost) zero; those stay (almost) zero.
            wide = out.astype(np.float64)
            largest = wide.max(axis=1, keepdims=True)
            voted = np.abs(wide) > 1e-7
            e = np.where(voted, np.exp(wide - largest), wide * np.exp(-largest))
            out = (e / np.where(voted, e, 0).sum(axis=1, keepdims=True)).astype(f32)
        elif transform != "NONE":
            raise NotImplementedError(transform)
        return out


# --- Converting TreeEnsembleRegressor / TreeEnsembleClassifier -----------------------------------

def attribute_dict(node) -> dict:
    from onnx import helper
    values = {}
    for attribute in node.attribute:
        value = helper.get_attribute_value(attribute)
        if isinstance(value, bytes):
            value = value.decode()
        elif isinstance(value, list) and value and isinstance(value[0], bytes):
            value = [v.decode() for v in value]
        values[attribute.name] = value
    return values


def convert_trees(a: dict, prefix: str) -> Ensemble:
    """Re-express the nodes_*/target_* (or class_*) lists of an opset 1 or 3 ensemble in opset 5's layout.
    Trees keep their order (the order of their first node in the listing); each tree's root is its node
    that no other node points to."""
    for name in ("nodes_values_as_tensor", f"{prefix}weights_as_tensor", "base_values_as_tensor"):
        assert name not in a, f"{name} not handled"
    trees: dict[int, dict[int, int]] = {}  # tree id -> node id -> listing position
    for position, (tree, node) in enumerate(zip(a["nodes_treeids"], a["nodes_nodeids"])):
        trees.setdefault(tree, {})[node] = position
    leaf_values: dict[tuple[int, int], list[tuple[int, float]]] = {}
    for tree, node, target, weight in zip(a[f"{prefix}treeids"], a[f"{prefix}nodeids"], a[f"{prefix}ids"], a[f"{prefix}weights"]):
        leaf_values.setdefault((tree, node), []).append((target, weight))
    missing = a.get("nodes_missing_value_tracks_true", [0] * len(a["nodes_modes"]))
    hitrates = a.get("nodes_hitrates", [1.0] * len(a["nodes_modes"]))

    ensemble = Ensemble()
    for tree, positions in trees.items():
        children = {a["nodes_truenodeids"][p] for p in positions.values() if a["nodes_modes"][p] != "LEAF"}
        children |= {a["nodes_falsenodeids"][p] for p in positions.values() if a["nodes_modes"][p] != "LEAF"}
        roots = [n for n in positions if n not in children]
        assert len(roots) == 1, f"tree {tree}: roots {roots}"
        assert a["nodes_modes"][positions[roots[0]]] != "LEAF", f"tree {tree} is a single leaf"

        def visit(node_id) -> tuple[int, bool]:
            p = positions[node_id]
            mode = a["nodes_modes"][p]
            if mode == "LEAF":
                values = leaf_values.get((tree, node_id), [(0, 0.0)])
                assert len(values) == 1, f"leaf {tree}-{node_id} has {len(values)} weights"
                return ensemble.add_leaf(*values[0]), True
            index = ensemble.add_node(a["nodes_featureids"][p], MODE_CODES[mode], a["nodes_values"][p], missing[p], hitrates[p])
            ensemble.link(index, True, *visit(a["nodes_truenodeids"][p]))
            ensemble.link(index, False, *visit(a["nodes_falsenodeids"][p]))
            return index, False

        ensemble.roots.append(visit(roots[0])[0])
    return ensemble


def make_model(nodes, name, outputs, initializers=(), ai_onnx=17):
    from onnx import TensorProto, checker, helper
    graph = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info("input", TensorProto.FLOAT, [None, len(COLUMNS)])],
        [helper.make_tensor_value_info(*o) for o in outputs], initializer=list(initializers))
    model = helper.make_model(graph, producer_name="make_tree_ensemble_v5.py", producer_version="1",
                              opset_imports=[helper.make_opsetid("", ai_onnx), helper.make_opsetid("ai.onnx.ml", 5)])
    model.ir_version = 10
    checker.check_model(model, full_check=True)
    return model


def tree_ensemble(inputs, output, attributes):
    from onnx import helper
    return helper.make_node("TreeEnsemble", inputs, [output], domain="ai.onnx.ml", name="TreeEnsemble", **attributes)


def convert_regressor(source_path, name):
    import onnx
    from onnx import TensorProto
    source = onnx.load(source_path)
    trees = [n for n in source.graph.node if n.op_type == "TreeEnsembleRegressor"]
    assert len(trees) == 1
    a = attribute_dict(trees[0])
    assert a.get("post_transform", "NONE") == "NONE" and a["n_targets"] == 1
    ensemble = convert_trees(a, "target_")
    output = source.graph.output[0].name
    base = a.get("base_values", [])
    attributes = ensemble.attributes(1, a.get("aggregate_function", "SUM"), "NONE", raw=True, hitrates=True)
    if base:  # TreeEnsemble has no base_values: add them after it
        from onnx import numpy_helper
        nodes = [tree_ensemble(["input"], "scores", attributes),
                 onnx.helper.make_node("Add", ["scores", "base_values"], [output])]
        init = [numpy_helper.from_array(np.array(base, np.float32), "base_values")]
    else:
        nodes, init = [tree_ensemble(["input"], output, attributes)], []
    return make_model(nodes, name, [(output, TensorProto.FLOAT, [None, 1])], init), ensemble, a


def convert_classifier(source_path, name):
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    source = onnx.load(source_path)
    trees = [n for n in source.graph.node if n.op_type == "TreeEnsembleClassifier"]
    assert len(trees) == 1 and len(source.graph.node) == 1, "expects a lone TreeEnsembleClassifier"
    a = attribute_dict(trees[0])
    labels = a["classlabels_int64s"]
    assert a["post_transform"] == "SOFTMAX" and len(labels) > 2
    ensemble = convert_trees(a, "class_")
    base = a.get("base_values", [0.0] * len(labels))
    nodes = [
        tree_ensemble(["input"], "raw_scores", ensemble.attributes(len(labels), "SUM", "NONE", raw=True, hitrates=False)),
        helper.make_node("Add", ["raw_scores", "base_values"], ["scores"]),
        helper.make_node("Softmax", ["scores"], ["probabilities"], axis=-1),
        helper.make_node("ArgMax", ["scores"], ["label_index"], axis=1, keepdims=0),
        helper.make_node("Gather", ["class_labels", "label_index"], ["label"], axis=0),
    ]
    init = [numpy_helper.from_array(np.array(base, np.float32), "base_values"),
            numpy_helper.from_array(np.array(labels, np.int64), "class_labels")]
    outputs = [("label", TensorProto.INT64, [None]), ("probabilities", TensorProto.FLOAT, [None, len(labels)])]
    return make_model(nodes, name, outputs, init), [str(v) for v in labels]


# --- Rows to check with -----------------------------------------------------------------------

def check_rows(rng, splits_by_feature: dict[int, list[float]]) -> np.ndarray:
    """The sample data with 5% NaN, and 15% of the cells replaced by a split threshold (or set member) of
    their column, so that rows land exactly on thresholds."""
    x = sample(ROWS, rng, missing=0.05)
    for feature, values in splits_by_feature.items():
        if not values:
            continue
        hit = rng.random(ROWS) < 0.15
        x[hit, feature] = rng.choice(np.array(values, np.float32), size=int(hit.sum()))
    return x


def splits_of(ensemble: Ensemble) -> dict[int, list[float]]:
    by_feature: dict[int, list[float]] = {}
    for position, feature in enumerate(ensemble.featureids):
        values = ensemble.members.get(position, [ensemble.splits[position]])
        by_feature.setdefault(feature, []).extend(values)
    return by_feature


def run(model, x):
    import onnxruntime as ort
    session = ort.InferenceSession(model.SerializeToString() if not isinstance(model, str) else model,
                                   providers=["CPUExecutionProvider"])
    return dict(zip([o.name for o in session.get_outputs()], session.run(None, {"input": x})))


def relative(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-6))) if a.size else 0.0


# --- Hand-built ensembles ------------------------------------------------------------------------

WHOLE = [i for i, c in enumerate(COLUMNS) if not isinstance(RANGES[c][0], float)]


def random_member_set(rng, feature) -> list[float]:
    low, high = RANGES[COLUMNS[feature]]
    values = np.arange(low, high)  # what the column takes (sample() draws integers in [low, high))
    size = int(rng.integers(1, min(len(values) - 1, 11) + 1))
    return sorted(float(v) for v in rng.choice(values, size=size, replace=False))


def hand_ensemble(rng, trees, depth, targets, single_leaf_tree=False) -> Ensemble:
    """Full binary trees of random splits. Each interior node picks a mode 0..6; mode 6 (MEMBER) only on
    whole-number columns, with a set of 1..11 of the column's values (sets with members above 30, as on
    age and num_purchases, take onnxruntime's large-set path). Thresholds are values the columns take.
    Missing tracks are random. Every tree has leaves for every target."""
    ensemble = Ensemble()
    if single_leaf_tree:
        # A tree that is one leaf: a node whose branches both point at leaf 0, stored at node position 0.
        ensemble.add_node(0, 0, 0.0, 0)
        ensemble.add_leaf(0, 0.75)
        ensemble.link(0, True, 0, True)
        ensemble.link(0, False, 0, True)
        ensemble.roots.append(0)
    for tree in range(trees):
        def grow(level) -> tuple[int, bool]:
            if level == depth:
                return ensemble.add_leaf(int(rng.integers(0, targets)), float(rng.normal(0, 1))), True
            mode = int(rng.integers(0, 7))
            feature = int(rng.choice(WHOLE)) if mode == 6 else int(rng.integers(0, len(COLUMNS)))
            low, high = RANGES[COLUMNS[feature]]
            if isinstance(low, float):
                split = round(float(rng.uniform(low, high)), 2)
            else:
                split = float(int(rng.integers(int(low), int(high))))
            members = random_member_set(rng, feature) if mode == 6 else None
            index = ensemble.add_node(feature, mode, 0.0 if mode == 6 else split, int(rng.integers(0, 2)),
                                      members=members)
            ensemble.link(index, True, *grow(level + 1))
            ensemble.link(index, False, *grow(level + 1))
            return index, False

        ensemble.roots.append(grow(0)[0])
        # make sure every target has a leaf in this tree
        first_leaf = len(ensemble.leaf_targets) - 2 ** depth
        for target in range(targets):
            ensemble.leaf_targets[first_leaf + target] = target
    return ensemble


def hand_built(rng, name, trees, depth, targets, aggregate, transform, single_leaf_tree=False):
    from onnx import TensorProto
    ensemble = hand_ensemble(rng, trees, depth, targets, single_leaf_tree)
    # keep the single-leaf tree's node and leaf at position 0, where both readings of it agree
    ensemble = ensemble.permuted(rng, keep_first=single_leaf_tree)
    attributes = ensemble.attributes(targets, aggregate, transform, raw=False, hitrates=False)
    model = make_model([tree_ensemble(["input"], "values", attributes)], name,
                       [("values", TensorProto.FLOAT, [None, targets])])
    return model, ensemble


# --- Manifest ------------------------------------------------------------------------------------

def describe(model_path, name, kind, labels, note):
    from make_tree_models import describe as base_describe
    return base_describe(model_path, name, kind, labels, note)


def save(model, name) -> str:
    path = os.path.join(OUT, name + ".onnx")
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    return path


def main() -> int:
    import onnx
    import onnxruntime as ort

    rng = np.random.default_rng(5)
    fixtures = []
    report = {}

    for source, name, note in (("rf_regressor", "v5_rf_regressor", "rf_regressor.onnx as TreeEnsemble opset 5 (AVERAGE)"),
                               ("lgbm_regressor", "v5_lgbm_regressor", "lgbm_regressor.onnx as TreeEnsemble opset 5 (SUM)")):
        source_path = os.path.join(OUT, source + ".onnx")
        model, ensemble, a = convert_regressor(source_path, name)
        x = check_rows(rng, splits_of(ensemble))
        want = run(source_path, x)
        got = run(model, x)
        out = model.graph.output[0].name
        diff = relative(got[out], want[out])
        exact = int(np.sum(got[out] != want[out]))
        print(f"{name}: {len(ensemble.roots)} trees, {len(ensemble.modes)} nodes, {len(ensemble.leaf_weights)} leaves; "
              f"max relative difference {diff:.3g}, {exact} of {ROWS} values not bit-identical")
        assert diff <= 1e-5, diff
        report[name] = diff
        path = save(model, name)
        fixtures.append(describe(path, name, "regression", [], note + f"; max rel. diff vs {source}.onnx {diff:.3g}"))

    source_path = os.path.join(OUT, "xgb_multiclass.onnx")
    model, labels = convert_classifier(source_path, "v5_xgb_multiclass")
    ensemble = convert_trees(attribute_dict(onnx.load(source_path).graph.node[0]), "class_")
    x = check_rows(rng, splits_of(ensemble))
    want, got = run(source_path, x), run(model, x)
    diff = float(np.max(np.abs(got["probabilities"] - want["probabilities"])))
    wrong = int(np.sum(got["label"] != want["label"]))
    print(f"v5_xgb_multiclass: max |probability difference| {diff:.3g}, {wrong} of {ROWS} labels differ")
    assert diff <= 1e-5 and wrong == 0
    path = save(model, "v5_xgb_multiclass")
    fixtures.append(describe(path, "v5_xgb_multiclass", "multiclass", labels,
                             "xgb_multiclass.onnx as TreeEnsemble (3 targets, NONE) + Add(base_values) + Softmax; "
                             "label = Gather(int64 labels [0, 1, 2], ArgMax(scores)): no classifier node carries "
                             f"the labels; max |p diff| vs xgb_multiclass.onnx {diff:.3g}"))

    for name, trees, depth, targets, aggregate, transform, single, note in (
            ("v5_hand_member", 12, 4, 2, "SUM", "SOFTMAX_ZERO", False, "every mode incl. MEMBER, 2 targets, SUM, SOFTMAX_ZERO"),
            ("v5_hand_average", 10, 4, 1, "AVERAGE", "NONE", True, "every mode incl. MEMBER, 1 target, AVERAGE, NONE, one single-leaf tree"),
            ("v5_hand_max", 10, 3, 2, "MAX", "NONE", False, "every mode incl. MEMBER, 2 targets, MAX, NONE")):
        model, ensemble = hand_built(rng, name, trees, depth, targets, aggregate, transform, single)
        x = check_rows(rng, splits_of(ensemble))
        got = run(model, x)["values"]
        # onnxruntime 1.32 reads post_transform 1 as LOGISTIC and 2 as SOFTMAX (its own enum order),
        # the spec 1 as SOFTMAX and 2 as LOGISTIC: see which one it computed.
        readings = {transform: transform}
        if transform in ("SOFTMAX", "LOGISTIC"):
            readings["onnxruntime"] = {"SOFTMAX": "LOGISTIC", "LOGISTIC": "SOFTMAX"}[transform]
        diffs = {k: float(np.max(np.abs(got - ensemble.evaluate(x, targets, aggregate, t)))) for k, t in readings.items()}
        reading, diff = min(diffs.items(), key=lambda item: item[1])
        counts = np.bincount(ensemble.modes, minlength=7).tolist()
        print(f"{name}: modes {counts}, {len(ensemble.members)} member sets; max |onnxruntime - numpy| "
              + ", ".join(f"{readings[k]} {v:.3g}" for k, v in diffs.items()))
        assert diff <= 1e-5, diffs
        assert all(counts), counts
        if reading == "onnxruntime":
            note += (f" (post_transform {TRANSFORMS[transform]}; onnxruntime {ort.__version__} computes "
                     f"{readings[reading]} for it, as its own enum numbers them)")
        path = save(model, name)
        fixtures.append(describe(path, name, "raw", [], note + f"; mode counts {counts}"))

    versions = {"onnx": onnx.__version__, "onnxruntime": ort.__version__, "numpy": np.__version__}
    with open(os.path.join(OUT, "ensemble_v5.json"), "w") as f:
        json.dump({"generated_with": versions, "fixtures": fixtures}, f, indent=2)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
