#pragma once
// The engine's operations on the CPU. Every op has a scalar reference (ref_*),
// kept in the tree and tested against; the unprefixed entry points pick the
// fastest implementation this CPU supports at run time.

#include "kernels/model.hpp"

#include <cmath>

namespace rbee::kernels::ops {

// -- reference (scalar) implementations: the specification of each op --

/// out = x / rms(x) * w                          x, w, out: (n,)
void ref_rmsnorm(float* out, const float* x, const float* w, int n, float eps);
/// x = softmax(x)                                x: (n,)
void ref_softmax(float* x, int n);
/// gate = silu(gate) * up                        (n,)
void ref_swiglu(float* gate, const float* up, int n);
/// gate = gelu(gate) * up, GELU's tanh form      (n,)   (Gemma's feed-forward)
void ref_geglu(float* gate, const float* up, int n);
/// A mixture of experts' router: of `n_expert` logits, the `k` experts with the highest
/// probability (softmax of the logits, or each one's sigmoid) into `chosen`, highest first, and
/// their probabilities normalized to sum 1 into `weights`; softmax_weight (gpt-oss): the `k`
/// highest logits, weighed by a softmax over those alone.
void ref_route(const float* logits, int n_expert, int k, hparams::gating g, int* chosen, float* weights);
/// gpt-oss's expert activation: gate = min(gate, 7) * sigmoid(1.702 min(gate, 7)) * (clamp(up, -7, 7) + 1)
void ref_swiglu_oai(float* gate, const float* up, int n);
/// Rotates each head of x (n_heads, head_dim) for position `pos`.
void ref_rope(float* x, int n_heads, int head_dim, float pos, const rope_spec& r);
/// y (n_tok, w.rows) = x (n_tok, w.cols) @ W^T   (row-wise dot products)
void ref_matmul(const weight& w, const float* x, int n_tok, float* y);
/// out (hd) = softmax(scale * K q) @ V over positions p < n_pos; K, V rows (hd)
/// `stride` floats apart; scratch: n_pos floats. `sink` (gpt-oss's attention sinks): a
/// logit that joins the softmax's denominator only (-inf: none).
void ref_attend(const float* q, const float* k, const float* v, int n_pos, int hd, size_t stride, float scale,
                float* scratch, float* out, float sink = -INFINITY);
/// The same over an F16 KV cache (`stride` in elements).
void ref_attend_f16(const float* q, const uint16_t* k, const uint16_t* v, int n_pos, int hd, size_t stride, float scale,
                    float* scratch, float* out, float sink = -INFINITY);

// -- dispatching entry points --

void rmsnorm(float* out, const float* x, const float* w, int n, float eps);
void softmax(float* x, int n);
void swiglu(float* gate, const float* up, int n);
void geglu(float* gate, const float* up, int n);
void rope(float* x, int n_heads, int head_dim, float pos, const rope_spec& r);
void matmul(const weight& w, const float* x, int n_tok, float* y);
void attend(const float* q, const float* k, const float* v, int n_pos, int hd, size_t stride, float scale,
            float* scratch, float* out);
void attend_f16(const float* q, const uint16_t* k, const uint16_t* v, int n_pos, int hd, size_t stride, float scale,
                float* scratch, float* out);

/// Copies token `id`'s embedding row (dequantized) into out (w.cols,).
void embed(const weight& w, int id, float* out);

} // namespace rbee::kernels::ops
