/* Counts a process's heap allocation calls, for benches/peer/costs.py.
 *
 *   cc -O2 -shared -fPIC -o alloccount.so alloccount.c
 *   LD_PRELOAD=./alloccount.so ALLOC_COUNT_FILE=/tmp/allocs.txt program ...
 *
 * At exit (or on a SIGINT/SIGTERM the program leaves to its default action) it appends one line
 * "pid malloc calloc realloc aligned" to ALLOC_COUNT_FILE; aligned counts posix_memalign,
 * aligned_alloc and memalign. free is glibc's own: every pointer still comes from glibc.
 * glibc's __libc_* entry points are called directly because dlsym(RTLD_NEXT) may itself
 * allocate, recursing here before the real malloc is known. Relaxed atomics: only the totals
 * matter, not their order. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void *__libc_memalign(size_t align, size_t size);

enum { MALLOC, CALLOC, REALLOC, ALIGNED, KINDS };
static atomic_ulong counts[KINDS];
static atomic_int reported;
/* Copied at start-up: getenv is not async-signal-safe, the handler below needs the path. */
static char path[4096];

static inline void count(int kind) {
    atomic_fetch_add_explicit(&counts[kind], 1, memory_order_relaxed);
}

void *malloc(size_t size) {
    count(MALLOC);
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size) {
    count(CALLOC);
    return __libc_calloc(n, size);
}

void *realloc(void *ptr, size_t size) {
    count(REALLOC);
    return __libc_realloc(ptr, size);
}

int posix_memalign(void **out, size_t align, size_t size) {
    count(ALIGNED);
    if (align % sizeof(void *) != 0 || (align & (align - 1)) != 0)
        return EINVAL;
    void *p = __libc_memalign(align, size);
    if (p == NULL)
        return ENOMEM;
    *out = p;
    return 0;
}

void *aligned_alloc(size_t align, size_t size) {
    count(ALIGNED);
    return __libc_memalign(align, size);
}

void *memalign(size_t align, size_t size) {
    count(ALIGNED);
    return __libc_memalign(align, size);
}

/* Decimal digits of v followed by `end`, at p; returns the position after them
 * (snprintf is not async-signal-safe). */
static char *put(char *p, unsigned long v, char end) {
    char digits[24];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0)
        *p++ = digits[--n];
    *p++ = end;
    return p;
}

static void report(void) {
    if (path[0] == '\0' || atomic_exchange(&reported, 1))
        return;
    char line[160], *p = put(line, (unsigned long)getpid(), ' ');
    for (int k = 0; k < KINDS; k++)
        p = put(p, atomic_load_explicit(&counts[k], memory_order_relaxed), k + 1 < KINDS ? ' ' : '\n');
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return; /* the script then finds no line and says so */
    ssize_t left = p - line;
    while (left > 0) {
        ssize_t n = write(fd, p - left, (size_t)left);
        if (n <= 0)
            break;
        left -= n;
    }
    close(fd);
}

static void on_signal(int sig) {
    report();
    signal(sig, SIG_DFL);
    raise(sig);
}

__attribute__((constructor)) static void start(void) {
    const char *name = getenv("ALLOC_COUNT_FILE");
    if (name != NULL && strlen(name) < sizeof path)
        strcpy(path, name);
    /* Only where the default action would kill the process without running destructors; a
     * program that installs its own handler later replaces this one and exits normally. */
    int sigs[] = {SIGINT, SIGTERM};
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old;
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL)
            signal(sigs[i], on_signal);
    }
}

__attribute__((destructor)) static void finish(void) {
    report();
}
