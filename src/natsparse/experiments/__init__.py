"""natsparse.experiments — runs that sweep, train or load models.

`corpus` (the one text loader), `tiny_gpt` (a byte-level GPT-2 that exposes its attention),
`training` (condensation training, checkpoints, evaluation), `condensation` (exp:condensation),
`real_model` (exp:real-model on a pretrained transformer), `gaussian` (the Gaussian-model runners
the evidence and the benchmark share), `audit` (the one top-k-against-dense certificate audit) and
`machine` (what a measurement ran on). Imports numeric and kernels; nothing imports it but the
evidence layer and the face. Submodules are imported on use.
"""
