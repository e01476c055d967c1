// cuda_check: each CUDA op on host data (copy in, run, copy out) for the tests.
#include "kernels/cuda/check.hpp"
#include "kernels/cpu_features.hpp"
#include "kernels/cuda/chunks.cuh"
#include "kernels/cuda/ops.hpp"
#include "kernels/cuda/quant.cuh"

#include <cublas_v2.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <type_traits>
#include <vector>

namespace rbee::kernels::cuda_check {

namespace {

using namespace cuda;

template <class T>
struct dev {
  T* p = nullptr;
  explicit dev(size_t n, const T* from = nullptr) {
    check(cudaMalloc(reinterpret_cast<void**>(&p), std::max<size_t>(n, 1) * sizeof(T)), "cudaMalloc");
    if (from) check(cudaMemcpy(p, from, n * sizeof(T), cudaMemcpyHostToDevice), "cudaMemcpy");
  }
  ~dev() { cudaFree(p); }
  void to(T* host, size_t n) const {
    check(cudaDeviceSynchronize(), "running the kernel");
    check(cudaMemcpy(host, p, n * sizeof(T), cudaMemcpyDeviceToHost), "cudaMemcpy");
  }
};

struct dev_weight {
  dev<uint8_t> bytes;
  dweight w;
  explicit dev_weight(const weight& h)
      : bytes(h.row_bytes * h.rows, h.data), w{h.type, bytes.p, h.rows, h.cols, h.row_bytes} {}
};

} // namespace

bool built() {
  return true;
}

void host_dequantize(dtype t, const void* src, float* y, size_t n, bool by_chunks) {
  cuda::by_type(t, [&](auto tag) {
    constexpr int T = decltype(tag)::value;
    const auto* b = static_cast<const uint8_t*>(src);
    if (!by_chunks) {
      for (size_t blk = 0; blk < n / cuda::block<T>::elems; ++blk)
        cuda::each<T>(b + blk * cuda::block<T>::bytes, [&](int i, float v) { y[blk * cuda::block<T>::elems + i] = v; });
      return;
    }
    using U = cuda::unit<T>;
    std::fill(y, y + n, std::nanf(""));
    for (size_t u = 0; u < n / U::elems; ++u)
      for (int c = 0; c < U::chunks; ++c)
        cuda::each_chunk<T>(b + u * U::bytes, c, [&](int i, float v) {
          if (i < 0 || i >= U::elems || !std::isnan(y[u * U::elems + i])) throw kernel_error("a chunk decoder wrote a value twice");
          y[u * U::elems + i] = v;
        });
  });
}

void host_matvec(const weight& w, const float* x, int n_tok, float* y) {
  constexpr int NT = 3;
  cuda::by_type(w.type, [&](auto tag) {
    constexpr int T = decltype(tag)::value;
    if (w.cols % cuda::unit<T>::elems != 0) throw kernel_error("host_matvec: row length is no multiple of the unit");
    std::vector<float> xs(static_cast<size_t>(NT) * w.cols);
    for (int done = 0; done < n_tok; done += NT) {
      int n = std::min(NT, n_tok - done);
      std::fill(xs.begin(), xs.end(), 0.f);
      std::copy(x + static_cast<size_t>(done) * w.cols, x + static_cast<size_t>(done + n) * w.cols, xs.begin());
      for (int r = 0; r < w.rows; ++r) {
        float sum[NT] = {};
        for (int lane = 0; lane < 32; ++lane) {  // a warp's lanes, one after another
          float acc[NT] = {};
          cuda::lane_dot<T, NT>(static_cast<const uint8_t*>(w.row(r)), w.cols, xs.data(), lane, acc);
          for (int t = 0; t < NT; ++t) sum[t] += acc[t];
        }
        for (int t = 0; t < n; ++t) y[static_cast<size_t>(done + t) * w.rows + r] = sum[t];
      }
    }
  });
}

bool available(std::string& why) {
  int n = 0;
  cudaError_t rc = cudaGetDeviceCount(&n);
  if (rc != cudaSuccess) {
    why = rbee::kernels::cuda_absence(std::string("no usable CUDA device: ") + cudaGetErrorString(rc));
    return false;
  }
  if (n == 0) {
    why = "no CUDA device found";
    return false;
  }
  return true;
}

void rmsnorm(float* out, const float* x, const float* w, int n, int d, float eps) {
  size_t sz = static_cast<size_t>(n) * d;
  dev<float> dx(sz, x), dw(d, w), dout(sz);
  cuda::rmsnorm(dout.p, dx.p, dw.p, n, d, eps, nullptr);
  dout.to(out, sz);
}

void softmax(float* x, int n, int d) {
  size_t sz = static_cast<size_t>(n) * d;
  dev<float> dx(sz, x);
  cuda::softmax(dx.p, n, d, nullptr);
  dx.to(x, sz);
}

void swiglu(float* gate, const float* up, int n) {
  dev<float> g(n, gate), u(n, up);
  cuda::swiglu(g.p, u.p, n, nullptr);
  g.to(gate, n);
}

void rope(float* x, int n_tok, int n_heads, int head_dim, const int* pos, float pos_scale, rope_style style, float base,
          const float* ff) {
  size_t sz = static_cast<size_t>(n_tok) * n_heads * head_dim;
  dev<float> dx(sz, x);
  dev<int> dp(n_tok, pos);
  dev<float> dff(ff ? head_dim / 2 : 0, ff);
  cuda::rope(dx.p, n_tok, n_heads, head_dim, dp.p, pos_scale, style, base, ff ? dff.p : nullptr, nullptr);
  dx.to(x, sz);
}

void matmul(const weight& w, const float* x, int n_tok, float* y, bool prefill) {
  dev_weight dw(w);
  size_t nx = static_cast<size_t>(n_tok) * w.cols, ny = static_cast<size_t>(n_tok) * w.rows;
  dev<float> dx(nx, x), dy(ny);
  if (!prefill) {
    cuda::matvec(dw.w, dx.p, n_tok, dy.p, nullptr);
  } else {
    dev<__half> w16(static_cast<size_t>(w.rows) * w.cols), x16(nx);
    cuda::dequantize_f16(dw.w, w16.p, nullptr);
    cuda::to_f16(dx.p, x16.p, nx, nullptr);
    cublasHandle_t h = nullptr;
    if (cublasCreate(&h) != CUBLAS_STATUS_SUCCESS) throw kernel_error("cuBLAS could not start");
    const float one = 1.f, zero = 0.f;
    auto rc = cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, w.rows, n_tok, w.cols, &one, w16.p, CUDA_R_16F, w.cols, x16.p,
                           CUDA_R_16F, w.cols, &zero, dy.p, CUDA_R_32F, w.rows, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
    cudaDeviceSynchronize();
    cublasDestroy(h);
    if (rc != CUBLAS_STATUS_SUCCESS) throw kernel_error("cuBLAS GEMM failed");
  }
  dy.to(y, ny);
}

void matvec_add(const weight& w, const float* x, int n_tok, float* y) {
  dev_weight dw(w);
  size_t ny = static_cast<size_t>(n_tok) * w.rows;
  dev<float> dx(static_cast<size_t>(n_tok) * w.cols, x), dy(ny, y);
  cuda::matvec(dw.w, dx.p, n_tok, dy.p, nullptr, true);
  dy.to(y, ny);
}

void matvec_swiglu(const weight& gate, const weight& up, const float* x, int n_tok, float* out) {
  dev_weight g(gate), u(up);
  size_t ny = static_cast<size_t>(n_tok) * gate.rows;
  dev<float> dx(static_cast<size_t>(n_tok) * gate.cols, x), dout(ny), scratch(ny);
  cuda::matvec_swiglu(g.w, u.w, dx.p, n_tok, dout.p, scratch.p, nullptr);
  dout.to(out, ny);
}

void matvec_parts(const weight* const* w, int parts, const float* x, int n_tok, float* const* y) {
  std::vector<std::unique_ptr<dev_weight>> dw;
  std::vector<std::unique_ptr<dev<float>>> dy;
  std::vector<const dweight*> wp;
  std::vector<float*> yp;
  for (int p = 0; p < parts; ++p) {
    dw.push_back(std::make_unique<dev_weight>(*w[p]));
    dy.push_back(std::make_unique<dev<float>>(static_cast<size_t>(n_tok) * w[p]->rows));
    wp.push_back(&dw.back()->w);
    yp.push_back(dy.back()->p);
  }
  dev<float> dx(static_cast<size_t>(n_tok) * w[0]->cols, x);
  cuda::matvec_parts(wp.data(), yp.data(), parts, dx.p, n_tok, nullptr);
  for (int p = 0; p < parts; ++p) dy[p]->to(y[p], static_cast<size_t>(n_tok) * w[p]->rows);
}

void attend(const float* q, const float* k, const float* v, int n_pos, int hd, float scale, float* out) {
  std::vector<__half> kh(static_cast<size_t>(n_pos) * hd), vh(kh.size());
  for (size_t i = 0; i < kh.size(); ++i) {
    kh[i] = __float2half(k[i]);
    vh[i] = __float2half(v[i]);
  }
  int slot = 0, pos = n_pos - 1;
  dev<float> dq(hd, q), dout(hd);
  dev<__half> dk(kh.size(), kh.data()), dv(vh.size(), vh.data());
  dev<int> ds(1, &slot), dp(1, &pos);
  cuda::attend_prepare(n_pos);
  cuda::attend(dq.p, dk.p, dv.p, 1, 1, 1, hd, ds.p, dp.p, n_pos, scale, dout.p, nullptr);
  dout.to(out, hd);
}

void embed(const weight& w, int token, float* out) {
  dev_weight dw(w);
  dev<int> dt(1, &token);
  dev<float> dout(w.cols);
  cuda::embed(dw.w, dt.p, 1, dout.p, nullptr);
  dout.to(out, w.cols);
}

double copy_bandwidth(int device) {
  if (cudaSetDevice(device) != cudaSuccess) return 0;
  size_t bytes = size_t{1} << 30;
  void *a = nullptr, *b = nullptr;
  if (cudaMalloc(&a, bytes) != cudaSuccess) return 0;
  if (cudaMalloc(&b, bytes) != cudaSuccess) {
    cudaFree(a);
    return 0;
  }
  cudaMemcpy(b, a, bytes, cudaMemcpyDeviceToDevice); // warm-up
  cudaEvent_t start, stop;
  cudaEventCreate(&start);
  cudaEventCreate(&stop);
  cudaEventRecord(start);
  for (int i = 0; i < 10; ++i) cudaMemcpy(b, a, bytes, cudaMemcpyDeviceToDevice);
  cudaEventRecord(stop);
  cudaEventSynchronize(stop);
  float ms = 0;
  cudaEventElapsedTime(&ms, start, stop);
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  cudaFree(a);
  cudaFree(b);
  return ms > 0 ? 2.0 * 10 * static_cast<double>(bytes) / (ms / 1e3) : 0;
}

} // namespace rbee::kernels::cuda_check
