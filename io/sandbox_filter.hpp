#pragma once
// What a build in the sandbox may not reach, beyond bubblewrap's namespaces: the
// directories hidden under an empty tmpfs, and a seccomp filter (libseccomp,
// handed to bwrap as BPF) for the kernel interfaces a mount namespace does not
// fence. Private to the sandbox.

#include <string>
#include <vector>

namespace rbee::sandbox_detail {

/// The directories a build never sees: the user's home (and every home), /run and
/// the runtime directory (systemd's user bus, docker.sock, ssh-agent), the shared
/// temporary directories, then `extra`; canonical, existing, and none inside
/// another. `tree` (the build's own directory) is bound back on top afterwards.
std::vector<std::string> hidden_dirs(const std::vector<std::string>& extra);

/// A memfd holding the seccomp BPF program for bwrap's --seccomp, or -1 with why.
/// Refused with EACCES: socket(AF_UNIX) (no connect() to a host UNIX socket, read-only
/// bind or not), socketpair(AF_UNIX, SOCK_DGRAM) (whose sendto could name a path),
/// io_uring (it creates and connects sockets beside the filter), the kernel keyring,
/// bpf, perf_event_open, userfaultfd and ptrace. Other ABIs (i386, x32) are killed.
int seccomp_filter_fd(std::string* why);

} // namespace rbee::sandbox_detail
