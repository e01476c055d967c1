// The forward pass on a CUDA GPU: weights uploaded once in their GGUF layout,
// the KV cache in halves on the device, activations on the device; one
// host-device copy in (tokens, positions, slots) and one out (the logits asked
// for) per step. Decode steps use the dequantizing matrix-vector kernels;
// prefill steps (more than 8 tokens) dequantize each matrix to halves and
// multiply with cuBLAS. Decode fuses what reads the same input: Q, K and V in
// one launch, gate, up and SwiGLU in one, the residual adds into the output
// products (10 launches per layer instead of 16). A decode step's launches are captured
// once per batch shape into a CUDA graph and replayed: the kernels take
// positions and slots from device memory, so one graph serves every step of
// that shape (RBEE_CUDA_GRAPHS=0 turns this off; a failed capture falls back).
#include "kernels/cuda/ops.hpp"
#include "kernels/forward.hpp"

#include <cublas_v2.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

namespace rbee::kernels {

namespace {

using namespace cuda;

/// A device allocation freed with its owner.
template <class T>
struct dbuf {
  T* p = nullptr;
  size_t n = 0;
  void alloc(size_t count) {
    n = count;
    check(cudaMalloc(reinterpret_cast<void**>(&p), std::max<size_t>(count, 1) * sizeof(T)), "cudaMalloc");
  }
  ~dbuf() {
    if (p) cudaFree(p);
  }
};

struct dlayer {
  dweight wq, wk, wv, wo, w_gate, w_up, w_down;
  const float *attn_norm = nullptr, *ffn_norm = nullptr, *bq = nullptr, *bk = nullptr, *bv = nullptr;
};

class cuda_forward final : public forward_pass {
public:
  cuda_forward(std::shared_ptr<const model> m, const forward_shape& s, int device);
  ~cuda_forward() override;
  void run(const batch_entry* entries, const int* pos, int n, float* logits_out) override;
  std::string device() const override { return "cuda:" + std::to_string(device_); }

private:
  dweight upload(const weight& w);
  const float* upload(const std::vector<float>& v);
  void matmul(const dweight& w, const float* x, int n, float* y);
  /// x_ += in @ W^T (decode: in the product's own launch).
  void residual(const dweight& w, const float* in, int n);
  /// Queues the step's kernels for n tokens, `wanted` of them with logits (into logits_).
  void enqueue(int n, int wanted);
  /// The graph of a decode step of this shape, captured on first use; null where capture failed.
  cudaGraphExec_t graph_for(int n, int wanted);

  std::shared_ptr<const model> model_;
  int device_ = 0, n_ctx_ = 0, n_slots_ = 0, n_batch_ = 0;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t blas_ = nullptr;
  std::vector<void*> owned_; ///< weights and norms
  dweight tok_embd_, output_;
  const float* output_norm_ = nullptr;
  const float* rope_freqs_ = nullptr;
  std::vector<dlayer> layers_;
  dbuf<__half> kc_, vc_, w16_, x16_;
  dbuf<float> x_, xb_, q_, k_, v_, att_, gate_, up_, normed_, logits_;
  dbuf<int> ints_; ///< tokens, positions, slots, wanted rows (n_batch each)
  std::vector<int> host_ints_;
  bool use_graphs_ = true;
  std::vector<cudaGraphExec_t> graphs_; ///< by n * (max_decode_tokens + 1) + wanted
  static constexpr int max_decode_tokens = 8;
};

cuda_forward::cuda_forward(std::shared_ptr<const model> m, const forward_shape& s, int device)
    : model_(std::move(m)), device_(device), n_ctx_(s.n_ctx), n_slots_(s.n_slots), n_batch_(s.n_batch) {
  // No CUDA kernels yet for Q/K norms, windows, post-norms, partial rotation, fused tensors, experts.
  if (model_->hp().yarn) throw kernel_error("the CUDA engine does not run YaRN rope scaling yet; the CPU engine does (device cpu)");
  if (model_->hp().architecture != arch::llama && model_->hp().architecture != arch::qwen2)
    throw kernel_error("the CUDA engine does not run " + model_->hp().arch_name + " yet; the CPU engine does (device cpu)");
  int count = 0;
  cudaError_t rc = cudaGetDeviceCount(&count);
  if (rc != cudaSuccess) throw kernel_error("no CUDA device " + std::to_string(device) + ": " + cudaGetErrorString(rc));
  if (device >= count)
    throw kernel_error("no CUDA device " + std::to_string(device) + ": this machine has " + std::to_string(count));
  check(cudaSetDevice(device), "cudaSetDevice");
  const auto& h = model_->hp();
  size_t kv_dim = static_cast<size_t>(h.n_head_kv) * h.head_dim;
  size_t cache = static_cast<size_t>(h.n_layer) * n_slots_ * n_ctx_ * kv_dim;
  size_t free_b = 0, total_b = 0;
  check(cudaMemGetInfo(&free_b, &total_b), "cudaMemGetInfo");
  size_t need = model_->weight_bytes_per_token() + 4 * cache + (64u << 20);
  if (need > free_b)
    throw kernel_error("the model and its KV cache need " + std::to_string(need >> 20) + " MiB; CUDA device " +
                       std::to_string(device) + " has " + std::to_string(free_b >> 20) + " MiB free");
  attend_prepare(n_ctx_);
  check(cudaStreamCreate(&stream_), "cudaStreamCreate");
  if (cublasCreate(&blas_) != CUBLAS_STATUS_SUCCESS) throw kernel_error("cuBLAS could not start");
  cublasSetStream(blas_, stream_);
  tok_embd_ = upload(model_->token_embd());
  output_ = upload(model_->output());
  output_norm_ = upload(model_->output_norm());
  if (const float* rf = model_->rope_factors(n_ctx_))
    rope_freqs_ = upload(std::vector<float>(rf, rf + model_->hp().n_rot / 2));
  size_t widest = static_cast<size_t>(output_.rows) * output_.cols;
  for (auto& L : model_->layers()) {
    dlayer d;
    d.wq = upload(L.wq), d.wk = upload(L.wk), d.wv = upload(L.wv), d.wo = upload(L.wo);
    d.w_gate = upload(L.w_gate), d.w_up = upload(L.w_up), d.w_down = upload(L.w_down);
    d.attn_norm = upload(L.attn_norm), d.ffn_norm = upload(L.ffn_norm);
    if (!L.bq.empty()) d.bq = upload(L.bq), d.bk = upload(L.bk), d.bv = upload(L.bv);
    for (auto* w : {&d.wq, &d.wk, &d.wv, &d.wo, &d.w_gate, &d.w_up, &d.w_down})
      widest = std::max(widest, static_cast<size_t>(w->rows) * w->cols);
    layers_.push_back(d);
  }
  kc_.alloc(cache);
  vc_.alloc(cache);
  check(cudaMemsetAsync(kc_.p, 0, cache * sizeof(__half), stream_), "cudaMemset");
  check(cudaMemsetAsync(vc_.p, 0, cache * sizeof(__half), stream_), "cudaMemset");
  size_t b = static_cast<size_t>(n_batch_), q_dim = static_cast<size_t>(h.n_head) * h.head_dim;
  size_t wide = std::max<size_t>({static_cast<size_t>(h.n_embd), q_dim, static_cast<size_t>(h.n_ff)});
  w16_.alloc(widest);
  x16_.alloc(b * wide);
  x_.alloc(b * h.n_embd);
  xb_.alloc(b * std::max<size_t>(h.n_embd, q_dim));
  q_.alloc(b * q_dim);
  k_.alloc(b * kv_dim);
  v_.alloc(b * kv_dim);
  att_.alloc(b * q_dim);
  gate_.alloc(b * h.n_ff);
  up_.alloc(b * h.n_ff);
  normed_.alloc(b * h.n_embd);
  logits_.alloc(b * h.n_vocab);
  ints_.alloc(4 * b);
  host_ints_.resize(4 * b);
  check(cudaStreamSynchronize(stream_), "uploading the model");
  const char* g = std::getenv("RBEE_CUDA_GRAPHS");
  use_graphs_ = !(g && std::string(g) == "0");
  graphs_.assign((max_decode_tokens + 1) * (max_decode_tokens + 1), nullptr);
}

cuda_forward::~cuda_forward() {
  if (stream_) cudaStreamSynchronize(stream_);
  for (auto g : graphs_)
    if (g) cudaGraphExecDestroy(g);
  for (void* p : owned_) cudaFree(p);
  if (blas_) cublasDestroy(blas_);
  if (stream_) cudaStreamDestroy(stream_);
}

dweight cuda_forward::upload(const weight& w) {
  size_t bytes = w.row_bytes * static_cast<size_t>(w.rows);
  void* p = nullptr;
  check(cudaMalloc(&p, bytes), "cudaMalloc (weights)");
  owned_.push_back(p);
  check(cudaMemcpyAsync(p, w.data, bytes, cudaMemcpyHostToDevice, stream_), "uploading weights");
  return dweight{w.type, static_cast<const uint8_t*>(p), w.rows, w.cols, w.row_bytes};
}

const float* cuda_forward::upload(const std::vector<float>& v) {
  void* p = nullptr;
  check(cudaMalloc(&p, v.size() * sizeof(float)), "cudaMalloc (norms)");
  owned_.push_back(p);
  check(cudaMemcpyAsync(p, v.data(), v.size() * sizeof(float), cudaMemcpyHostToDevice, stream_), "uploading norms");
  return static_cast<const float*>(p);
}

void cuda_forward::matmul(const dweight& w, const float* x, int n, float* y) {
  if (n <= max_decode_tokens) return matvec(w, x, n, y, stream_);
  // Prefill: W as halves, x as halves, y = x W^T in f32 (column-major: y^T = W x^T).
  dequantize_f16(w, w16_.p, stream_);
  to_f16(x, x16_.p, static_cast<size_t>(n) * w.cols, stream_);
  const float one = 1.f, zero = 0.f;
  auto rc = cublasGemmEx(blas_, CUBLAS_OP_T, CUBLAS_OP_N, w.rows, n, w.cols, &one, w16_.p, CUDA_R_16F, w.cols, x16_.p,
                         CUDA_R_16F, w.cols, &zero, y, CUDA_R_32F, w.rows, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
  if (rc != CUBLAS_STATUS_SUCCESS) throw kernel_error("cuBLAS GEMM failed (status " + std::to_string(static_cast<int>(rc)) + ")");
}

void cuda_forward::residual(const dweight& w, const float* in, int n) {
  if (n <= max_decode_tokens) return matvec(w, in, n, x_.p, stream_, true);
  matmul(w, in, n, xb_.p);
  add(x_.p, xb_.p, static_cast<size_t>(n) * w.rows, stream_);
}

void cuda_forward::run(const batch_entry* entries, const int* pos, int n, float* logits_out) {
  check(cudaSetDevice(device_), "cudaSetDevice");
  const auto& h = model_->hp();
  size_t b = static_cast<size_t>(n_batch_);
  int* tokens = host_ints_.data();
  int* positions = tokens + b;
  int* slots = tokens + 2 * b;
  int* wanted_rows = tokens + 3 * b;
  int wanted = 0;
  for (int t = 0; t < n; ++t) {
    tokens[t] = entries[t].token;
    positions[t] = pos[t];
    slots[t] = entries[t].slot;
    if (entries[t].logits) wanted_rows[wanted++] = t;
  }
  check(cudaMemcpyAsync(ints_.p, host_ints_.data(), 4 * b * sizeof(int), cudaMemcpyHostToDevice, stream_), "copying the batch");
  cudaGraphExec_t g = n <= max_decode_tokens && use_graphs_ ? graph_for(n, wanted) : nullptr;
  if (g)
    check(cudaGraphLaunch(g, stream_), "launching the step's graph");
  else
    enqueue(n, wanted);
  if (wanted)
    check(cudaMemcpyAsync(logits_out, logits_.p, static_cast<size_t>(wanted) * h.n_vocab * sizeof(float),
                          cudaMemcpyDeviceToHost, stream_),
          "copying the logits");
  check(cudaGetLastError(), "launching a kernel");
  check(cudaStreamSynchronize(stream_), "the forward pass");
}

cudaGraphExec_t cuda_forward::graph_for(int n, int wanted) {
  cudaGraphExec_t& g = graphs_[static_cast<size_t>(n) * (max_decode_tokens + 1) + wanted];
  if (g) return g;
  cudaGraph_t graph = nullptr;
  if (cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal) != cudaSuccess) {
    cudaGetLastError();
    use_graphs_ = false;
    return nullptr;
  }
  try {
    enqueue(n, wanted);
  } catch (...) {  // leave the stream usable
    cudaStreamEndCapture(stream_, &graph);
    if (graph) cudaGraphDestroy(graph);
    throw;
  }
  cudaError_t rc = cudaStreamEndCapture(stream_, &graph);
  if (rc == cudaSuccess) rc = cudaGraphInstantiate(&g, graph, 0);
  if (graph) cudaGraphDestroy(graph);
  if (rc != cudaSuccess) {  // not capturable here: launch kernel by kernel from now on
    cudaGetLastError();
    g = nullptr;
    use_graphs_ = false;
  }
  return g;
}

void cuda_forward::enqueue(int n, int wanted) {
  const auto& h = model_->hp();
  const int d = h.n_embd, hd = h.head_dim, q_dim = h.n_head * hd, kv_dim = h.n_head_kv * hd;
  size_t b = static_cast<size_t>(n_batch_);
  const int* d_tok = ints_.p;
  const int* d_pos = ints_.p + b;
  const int* d_slot = ints_.p + 2 * b;
  const int* d_rows = ints_.p + 3 * b;
  const float scale = 1.f / std::sqrt(static_cast<float>(hd));
  const size_t layer_cache = static_cast<size_t>(n_slots_) * n_ctx_ * kv_dim;
  embed(tok_embd_, d_tok, n, x_.p, stream_);
  for (size_t l = 0; l < layers_.size(); ++l) {
    const auto& L = layers_[l];
    rmsnorm(xb_.p, x_.p, L.attn_norm, n, d, h.rms_eps, stream_);
    if (n <= max_decode_tokens) {  // decode: Q, K, V in one launch
      const dweight* w[3] = {&L.wq, &L.wk, &L.wv};
      float* y[3] = {q_.p, k_.p, v_.p};
      matvec_parts(w, y, 3, xb_.p, n, stream_);
    } else {
      matmul(L.wq, xb_.p, n, q_.p);
      matmul(L.wk, xb_.p, n, k_.p);
      matmul(L.wv, xb_.p, n, v_.p);
    }
    if (L.bq) {
      add_bias(q_.p, L.bq, n, q_dim, stream_);
      add_bias(k_.p, L.bk, n, kv_dim, stream_);
      add_bias(v_.p, L.bv, n, kv_dim, stream_);
    }
    rope(q_.p, n, h.n_head, hd, d_pos, h.rope_scale, h.rope, h.rope_base, rope_freqs_, stream_);
    rope(k_.p, n, h.n_head_kv, hd, d_pos, h.rope_scale, h.rope, h.rope_base, rope_freqs_, stream_);
    __half* kc = kc_.p + l * layer_cache;
    __half* vc = vc_.p + l * layer_cache;
    kv_store(k_.p, v_.p, n, kv_dim, d_slot, d_pos, n_ctx_, kc, vc, stream_);
    attend(q_.p, kc, vc, n, h.n_head, h.n_head_kv, hd, d_slot, d_pos, n_ctx_, scale, att_.p, stream_);
    residual(L.wo, att_.p, n);
    rmsnorm(xb_.p, x_.p, L.ffn_norm, n, d, h.rms_eps, stream_);
    if (n <= max_decode_tokens) {  // decode: both FFN products and SwiGLU in one launch
      matvec_swiglu(L.w_gate, L.w_up, xb_.p, n, gate_.p, up_.p, stream_);
    } else {
      matmul(L.w_gate, xb_.p, n, gate_.p);
      matmul(L.w_up, xb_.p, n, up_.p);
      swiglu(gate_.p, up_.p, static_cast<size_t>(n) * h.n_ff, stream_);
    }
    residual(L.w_down, gate_.p, n);
  }
  if (wanted) {
    gather_rows(x_.p, d_rows, wanted, d, xb_.p, stream_);
    rmsnorm(normed_.p, xb_.p, output_norm_, wanted, d, h.rms_eps, stream_);
    matmul(output_, normed_.p, wanted, logits_.p);
  }
}

} // namespace

std::unique_ptr<forward_pass> make_cuda_forward(std::shared_ptr<const model> m, const forward_shape& s, int device) {
  return std::make_unique<cuda_forward>(std::move(m), s, device);
}

} // namespace rbee::kernels
