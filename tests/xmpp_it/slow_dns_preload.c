/* LD_PRELOAD shim for the real daemon: a DNS lookup that hangs. getaddrinfo() of the name
 * in CWMPD_SLOW_DNS_NAME appends a line to the file CWMPD_SLOW_DNS_MARK (so that the test
 * knows the lookup is under way), then blocks for 30 s and fails with EAI_AGAIN, as a
 * resolver whose server never answers does. Every other name is resolved normally.
 * Nothing leaves the machine.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int (*getaddrinfo_fn)(const char*, const char*, const struct addrinfo*, struct addrinfo**);

int getaddrinfo(const char* node, const char* service, const struct addrinfo* hints,
                struct addrinfo** res) {
  const char* slow = getenv("CWMPD_SLOW_DNS_NAME");
  if (node && slow && strcmp(node, slow) == 0) {
    const char* mark = getenv("CWMPD_SLOW_DNS_MARK");
    if (mark) {
      int fd = open(mark, O_WRONLY | O_CREAT | O_APPEND, 0600);
      if (fd >= 0) {
        (void)!write(fd, "lookup\n", 7);
        close(fd);
      }
    }
    sleep(30);
    return EAI_AGAIN;
  }
  getaddrinfo_fn real = (getaddrinfo_fn)dlsym(RTLD_NEXT, "getaddrinfo");
  return real ? real(node, service, hints, res) : EAI_SYSTEM;
}
