#include "kernels/cpu/huge_pages.hpp"

#include <limits>
#include <new>
#include <utility>

#include <sys/mman.h>

namespace rbee::kernels::cpu {

namespace {
constexpr size_t huge = size_t{2} << 20;
}

huge_region::huge_region(size_t bytes) {
  if (bytes == 0) return;
  if (bytes > std::numeric_limits<size_t>::max() / 2) throw std::bad_alloc(); // no wrap in the rounding
  size_ = (bytes + huge - 1) / huge * huge;
  map_size_ = size_ + huge; // room to align the start
  map_ = ::mmap(nullptr, map_size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map_ == MAP_FAILED) {
    map_ = nullptr;
    throw std::bad_alloc();
  }
  auto start = reinterpret_cast<uintptr_t>(map_);
  base_ = reinterpret_cast<uint8_t*>((start + huge - 1) / huge * huge);
#ifdef MADV_HUGEPAGE
  ::madvise(base_, size_, MADV_HUGEPAGE); // a hint: without THP the pages stay small
#endif
}

huge_region::~huge_region() {
  if (map_) ::munmap(map_, map_size_);
}

huge_region::huge_region(huge_region&& o) noexcept
    : map_(std::exchange(o.map_, nullptr)), map_size_(std::exchange(o.map_size_, 0)),
      base_(std::exchange(o.base_, nullptr)), size_(std::exchange(o.size_, 0)) {}

huge_region& huge_region::operator=(huge_region&& o) noexcept {
  if (this != &o) {
    if (map_) ::munmap(map_, map_size_);
    map_ = std::exchange(o.map_, nullptr);
    map_size_ = std::exchange(o.map_size_, 0);
    base_ = std::exchange(o.base_, nullptr);
    size_ = std::exchange(o.size_, 0);
  }
  return *this;
}

} // namespace rbee::kernels::cpu
