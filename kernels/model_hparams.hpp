#pragma once
// A model's hyper-parameters from its GGUF metadata (kernels/model_hparams.cpp): the
// architecture and what it implies, checked against each other. Private to kernels/.

#include "kernels/model.hpp"

namespace rbee::kernels {

/// Throws kernel_error naming what is wrong or unsupported.
hparams read_hparams(const gguf_file& f);

} // namespace rbee::kernels
