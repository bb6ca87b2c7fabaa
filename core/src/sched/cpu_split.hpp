// Two threads of one request on CPUs of their own (issue 15). Left to the scheduler, a
// thread and the one it made were seen taking turns on one CPU for whole requests with
// the other CPU idle: a new thread starts on its maker's CPU, and on a virtual machine a
// thread woken by another is put beside it rather than on a halted CPU. The making thread
// is held on the CPU it is on while this lives, and the other keeps off it; the making
// thread gets its own CPUs back at the end. Nothing changes with a single CPU.
#pragma once

#include <sched.h>

namespace cwmpd::core {

class CpuSplit {
 public:
  CpuSplit() {
    const int cpu = sched_getcpu();
    if (cpu < 0 || sched_getaffinity(0, sizeof(allowed_), &allowed_) != 0 ||
        !CPU_ISSET(cpu, &allowed_) || CPU_COUNT(&allowed_) < 2)
      return;
    cpu_set_t here;
    CPU_ZERO(&here);
    CPU_SET(cpu, &here);
    if (sched_setaffinity(0, sizeof(here), &here) != 0) return;
    cpu_ = cpu;
  }
  ~CpuSplit() {
    if (cpu_ >= 0) (void)sched_setaffinity(0, sizeof(allowed_), &allowed_);
  }
  CpuSplit(const CpuSplit&) = delete;
  CpuSplit& operator=(const CpuSplit&) = delete;

  // On the other thread.
  void keepOff() const {
    if (cpu_ < 0) return;
    cpu_set_t others = allowed_;
    CPU_CLR(cpu_, &others);
    (void)sched_setaffinity(0, sizeof(others), &others);
  }

 private:
  cpu_set_t allowed_{};
  int cpu_ = -1;
};

}  // namespace cwmpd::core
