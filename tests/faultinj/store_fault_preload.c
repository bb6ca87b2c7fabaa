/* LD_PRELOAD fault injection for the real daemon (issue 14): makes the store's commit of
 * model.db fail at one step, as Store::setFaultHook does in-process. The step comes from
 * the file named by CWMPD_STORE_FAULT_FILE, read at each call: "write", "fsync" or
 * "rename" (anything else: no fault). Only calls on the journal "model.journal" (where a
 * commit appends) and on "model.db.tmp" (a new snapshot) are touched: write() and
 * fsync()/fdatasync() of a descriptor open on them fail with ENOSPC / EIO, rename() of
 * the snapshot with EIO.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char kTarget[] = "model.db.tmp";
static const char kJournal[] = "model.journal";

static int endsWith(const char* path, const char* tail) {
  size_t n = strlen(path), t = strlen(tail);
  return n >= t && strcmp(path + n - t, tail) == 0;
}

static int endsWithTarget(const char* path) { return endsWith(path, kTarget); }

static int fdIsTarget(int fd) {
  char link[64], path[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, path, sizeof path - 1);
  if (n <= 0) return 0;
  path[n] = '\0';
  return endsWithTarget(path) || endsWith(path, kJournal);
}

/* 1 when the control file names `step`. */
static int armed(const char* step) {
  const char* file = getenv("CWMPD_STORE_FAULT_FILE");
  if (!file) return 0;
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[32] = {0};
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ')) buf[--n] = '\0';
  return strcmp(buf, step) == 0;
}

ssize_t write(int fd, const void* data, size_t size) {
  static ssize_t (*real)(int, const void*, size_t);
  if (!real) real = (ssize_t(*)(int, const void*, size_t))dlsym(RTLD_NEXT, "write");
  if (fd > 2 && armed("write") && fdIsTarget(fd)) {
    errno = ENOSPC;
    return -1;
  }
  return real(fd, data, size);
}

int fsync(int fd) {
  static int (*real)(int);
  if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
  if (armed("fsync") && fdIsTarget(fd)) {
    errno = EIO;
    return -1;
  }
  return real(fd);
}

int fdatasync(int fd) {
  static int (*real)(int);
  if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
  if (armed("fsync") && fdIsTarget(fd)) {
    errno = EIO;
    return -1;
  }
  return real(fd);
}

int rename(const char* from, const char* to) {
  static int (*real)(const char*, const char*);
  if (!real) real = (int (*)(const char*, const char*))dlsym(RTLD_NEXT, "rename");
  if (endsWithTarget(from) && armed("rename")) {
    errno = EIO;
    return -1;
  }
  return real(from, to);
}
